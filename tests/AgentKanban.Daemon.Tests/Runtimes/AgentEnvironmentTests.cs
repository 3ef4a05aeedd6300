using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.Runtimes;

public sealed class AgentEnvironmentTests
{
    [Fact]
    public void Agent_inherits_the_daemon_environment_minus_its_credentials_plus_its_identity()
    {
        // A session moved to a new lease: the server knows it as "<id>-e7", and the agent must sign as that.
        var stored = TempStore.NewSession("task-9");
        var session = stored with { Epoch = 7, ServerSessionId = stored.Id + "-e7" };
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
        Assert.Equal(session.Id + "-e7", env["AK_SESSION_ID"]);
        Assert.Equal(session.PrivateKey, env["AK_SESSION_KEY"]);
        Assert.Equal("task-9", env["AK_TASK_ID"]);
        Assert.Equal("7", env["AK_EPOCH"]);
        Assert.Equal("/opt/ak/bin:/usr/bin", env["PATH"]);
    }
}

public sealed class StrayProcessMatchingTests
{
    [Theory]
    [InlineData("a1b2", "a1b2")]
    [InlineData("a1b2-e7", "a1b2")]
    [InlineData("a1b2-e12", "a1b2")]
    [InlineData("a1b2-e", null)]
    [InlineData("a1b2-ex", null)]
    [InlineData("a1b2-e7-e8", null)]
    [InlineData("zz-e7", null)]
    [InlineData("a1b", null)]
    public void An_agent_started_under_any_lease_of_a_session_is_matched_to_it(string environmentValue, string? expected)
    {
        var local = new HashSet<string>(StringComparer.Ordinal) { "a1b2", "other" };
        Assert.Equal(expected, StrayProcesses.LocalSessionOf(environmentValue, local));
    }
}
