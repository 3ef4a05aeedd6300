using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.Loop;

public sealed class AgentEnvironmentTests
{
    [Fact]
    public void Agent_inherits_the_daemon_environment_minus_its_credentials_plus_its_identity()
    {
        var session = TempStore.NewSession("task-9") with { Epoch = 7, ServerSessionId = "srv-1" };
        var daemon = new Dictionary<string, string?>
        {
            ["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9",
            ["PATH"] = "/usr/bin",
            ["AK_TOKEN"] = "akp_user",
            ["SOME_SECRET_COPY"] = "prefix-akm_machinekey",
            [CrashPoints.PointVariable] = "lease-taken",
            [CrashPoints.EnableVariable] = "1",
            ["AK_RUNTIME_CLAUDE"] = "/fake/claude",
            ["AK_SESSION_ID"] = "outer-session",
        };

        var env = AgentEnvironment.Build(daemon, session, "http://board", "akm_machinekey", "/opt/ak/bin");

        Assert.Equal("http://127.0.0.1:9", env["ANTHROPIC_BASE_URL"]);
        Assert.False(env.ContainsKey("AK_TOKEN"));
        Assert.False(env.ContainsKey("SOME_SECRET_COPY"));
        Assert.False(env.ContainsKey(CrashPoints.PointVariable));
        Assert.False(env.ContainsKey("AK_RUNTIME_CLAUDE"));
        Assert.Equal("http://board", env["AK_SERVER"]);
        Assert.Equal(session.Id, env["AK_SESSION_ID"]);
        Assert.Equal(session.PrivateKey, env["AK_SESSION_KEY"]);
        Assert.Equal("task-9", env["AK_TASK_ID"]);
        Assert.Equal("7", env["AK_EPOCH"]);
        Assert.Equal("/opt/ak/bin:/usr/bin", env["PATH"]);
    }
}
