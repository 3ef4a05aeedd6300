using System.Text;
using AgentKanban.Agents.Copilot;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Contracts;

namespace AgentKanban.Agents.Tests.Copilot;

public sealed class CopilotRuntimeTests
{
    private const string Id = "0b5f2c1e-7d5a-4c1b-9f0e-3a2d1c0b9a87";

    [Fact]
    public void Is_registered_as_the_copilot_runtime()
    {
        Assert.Same(CopilotRuntime.Instance, AgentRuntimes.Find(RuntimeNames.Copilot));
        Assert.Equal("copilot", CopilotRuntime.Instance.ExecutableName(new Dictionary<string, string?>()));
    }

    [Fact]
    public void A_new_conversation_gets_the_work_protocol_before_the_prompt_and_a_resume_only_the_prompt()
    {
        var fresh = CopilotRuntime.ProcessOptions(Spec(null));
        Assert.Equal("--prompt=PROTOCOL\n\nDo it.", fresh.Arguments[0]);
        Assert.Contains("--session-id=" + Id, fresh.Arguments);
        Assert.Null(fresh.StandardInput);
        Assert.False(fresh.KeepStandardInputOpen);
        Assert.Equal("/home/u", fresh.Environment["HOME"]);
        Assert.False(fresh.Environment.ContainsKey("REMOVED"));

        var resumed = CopilotRuntime.ProcessOptions(Spec(Id));
        Assert.Equal("--prompt=Do it.", resumed.Arguments[0]);
        Assert.Contains("--resume=" + Id, resumed.Arguments);
    }

    [Fact]
    public void A_prompt_the_cli_cannot_take_is_a_launch_failure()
    {
        Assert.Throws<AgentLaunchException>(() => CopilotRuntime.ProcessOptions(Spec(null) with { Prompt = " " , SystemPrompt = "" }));
    }

    public static TheoryData<string, Dictionary<string, string?>, string?, bool> Availability => new()
    {
        { "own provider", new() { ["COPILOT_PROVIDER_BASE_URL"] = "http://127.0.0.1:1/v1" }, null, true },
        { "provider key", new() { ["COPILOT_PROVIDER_API_KEY"] = "k" }, null, true },
        { "GitHub token", new() { ["GH_TOKEN"] = "t" }, null, true },
        { "Copilot token", new() { ["COPILOT_GITHUB_TOKEN"] = "t" }, null, true },
        { "blank token", new() { ["GITHUB_TOKEN"] = " " }, null, false },
        { "nothing", new(), null, false },
        { "fresh config", new(), "// managed\n{\n  \"firstLaunchAt\": \"2026-12-07T15:47:52.966Z\"\n}\n", false },
        { "logged in", new(), "// managed\n{\"loggedInUsers\":[{\"host\":\"https://github.com\",\"login\":\"someone\"}]}", true },
        { "logged in (older key)", new(), "{\"logged_in_users\":[{\"host\":\"https://github.com\",\"login\":\"someone\"}],}", true },
        { "logged out", new(), "{\"loggedInUsers\":[]}", false },
        { "broken config", new(), "{\"loggedInUsers\":[", false },
    };

    [Theory]
    [MemberData(nameof(Availability))]
    public void Availability_from_the_environment_or_the_clis_login(string name, Dictionary<string, string?> environment, string? config, bool authorized)
    {
        using var home = new TempDirectory();
        environment["HOME"] = home.Path;
        if (config is not null)
        {
            Directory.CreateDirectory(Path.Combine(home.Path, ".copilot"));
            File.WriteAllText(Path.Combine(home.Path, ".copilot", "config.json"), config, Encoding.UTF8);
        }

        Assert.True(authorized == CopilotRuntime.Instance.CheckAvailability("copilot", environment).Authorized, name);
    }

    [Fact]
    public void A_resume_without_events_is_a_lost_session_when_the_log_is_gone_or_the_cli_says_so()
    {
        using var home = new TempDirectory();
        var log = Path.Combine(home.Path, "events.jsonl");
        Assert.True(CopilotRuntime.IsUnknownSession(log, ""));
        Assert.True(CopilotRuntime.IsUnknownSession(null, $"Error: No session, task, or name matched '{Id}'.\n"));
        File.WriteAllText(log, "{}\n");
        Assert.False(CopilotRuntime.IsUnknownSession(log, "Error: connection refused"));
        Assert.True(CopilotRuntime.IsUnknownSession(log, "Error: No session, task, or name matched 'x'."));
    }

    private static AgentLaunchSpec Spec(string? resumeToken) => new(
        RuntimeNames.Copilot, "/usr/bin/copilot", "/work/tree", "Do it.", Id, resumeToken, null, null, "PROTOCOL",
        new Dictionary<string, string?> { ["HOME"] = "/home/u", ["REMOVED"] = null });
}
