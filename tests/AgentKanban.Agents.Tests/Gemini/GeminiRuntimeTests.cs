using AgentKanban.Agents.Gemini;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;

namespace AgentKanban.Agents.Tests.Gemini;

public sealed class GeminiRuntimeTests : IDisposable
{
    private const string Id = "6d0c9a55-3f0e-4b8e-9a41-2c7e5d1f8b20";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void It_is_registered_under_its_board_name()
    {
        Assert.Same(GeminiRuntime.Instance, AgentRuntimes.Find(RuntimeNames.Gemini));
        Assert.Equal("gemini", GeminiRuntime.Instance.ExecutableName(new Dictionary<string, string?>()));
    }

    private static AgentLaunchSpec Spec(string? resumeToken, string? permissionMode = null) => new(
        RuntimeNames.Gemini, "/usr/bin/gemini", "/work/tree", "Task ID: t-1", Id, resumeToken, null, permissionMode, "WORK PROTOCOL",
        new Dictionary<string, string?> { ["PATH"] = "/ak/bin:/usr/bin", ["SECRET"] = null });

    [Fact]
    public void A_new_conversation_carries_the_work_protocol_before_the_prompt()
    {
        var options = GeminiRuntime.ProcessOptions(Spec(null));

        Assert.Equal("/usr/bin/gemini", options.Executable);
        Assert.Equal("/work/tree", options.WorkingDirectory);
        Assert.Equal("--prompt=WORK PROTOCOL\n\nTask ID: t-1", options.Arguments[^1]);
        Assert.Equal(["--session-id", Id], options.Arguments.SkipWhile(a => a != "--session-id").Take(2));
        Assert.Equal(["--approval-mode", "yolo"], options.Arguments.SkipWhile(a => a != "--approval-mode").Take(2));
        Assert.Null(options.StandardInput);
        Assert.False(options.KeepStandardInputOpen);
        Assert.Equal(new Dictionary<string, string> { ["PATH"] = "/ak/bin:/usr/bin" }, options.Environment);
    }

    [Fact]
    public void A_resume_continues_the_stored_conversation_with_the_prompt_alone()
    {
        var options = GeminiRuntime.ProcessOptions(Spec(Id));

        Assert.Equal(["--resume", Id], options.Arguments.SkipWhile(a => a != "--resume").Take(2));
        Assert.DoesNotContain("--session-id", options.Arguments);
        Assert.Equal("--prompt=Task ID: t-1", options.Arguments[^1]);
    }

    [Fact]
    public void An_unknown_approval_mode_is_a_launch_error()
    {
        Assert.Throws<AgentLaunchException>(() => GeminiRuntime.ProcessOptions(Spec(null, "whatever")));
    }

    [Theory]
    [InlineData(GeminiRecordedLines.ResumeUnknownStandardError, "Invalid session identifier")]
    [InlineData(GeminiRecordedLines.ResumeNoSessionsStandardError, "No previous sessions found")]
    public void A_resume_of_a_session_the_CLI_does_not_have_is_a_lost_conversation(string stderr, string detail)
    {
        var error = GeminiRuntime.ExitError(42, stderr, resumed: true);

        Assert.NotNull(error);
        Assert.Equal(ProviderErrors.ConversationNotFound, error.Code);
        Assert.False(error.IsRateLimitFallback);
        Assert.Contains(detail, error.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(41, "Please set an Auth method in your settings.json", false, GeminiErrorCodes.AuthenticationFailed)]
    [InlineData(55, "Gemini CLI is not running in a trusted directory.", false, GeminiErrorCodes.UntrustedFolder)]
    [InlineData(42, "Invalid session identifier \"x\"", false, null)]
    [InlineData(1, "boom", true, null)]
    [InlineData(0, "", false, null)]
    public void Exit_codes_the_CLI_explains_only_on_stderr(int exitCode, string stderr, bool resumed, string? code)
    {
        Assert.Equal(code, GeminiRuntime.ExitError(exitCode, stderr, resumed)?.Code);
    }

    public static TheoryData<string, string?, bool> Credentials => new()
    {
        { "GEMINI_API_KEY", "k", true },
        { "GOOGLE_API_KEY", "k", true },
        { "GOOGLE_APPLICATION_CREDENTIALS", "/creds.json", true },
        { "GOOGLE_GENAI_USE_VERTEXAI", "true", true },
        { "GOOGLE_GENAI_USE_VERTEXAI", "false", false },
        { "GEMINI_API_KEY", " ", false },
        { "OTHER", "x", false },
    };

    [Theory]
    [MemberData(nameof(Credentials))]
    public void Credentials_in_the_environment(string name, string? value, bool authorized)
    {
        var environment = new Dictionary<string, string?> { [name] = value, ["HOME"] = _dir.Path };

        Assert.Equal(authorized, GeminiRuntime.Instance.CheckAvailability("gemini", environment).Authorized);
    }

    [Fact]
    public void The_CLIs_own_login_file_counts_under_its_home()
    {
        var cliHome = Directory.CreateDirectory(Path.Combine(_dir.Path, "cli-home", ".gemini")).Parent!.FullName;
        var userHome = Directory.CreateDirectory(Path.Combine(_dir.Path, "user-home", ".gemini")).Parent!.FullName;
        var both = new Dictionary<string, string?> { ["HOME"] = userHome, ["GEMINI_CLI_HOME"] = cliHome };

        Assert.False(GeminiRuntime.Instance.CheckAvailability("gemini", both).Authorized);

        File.WriteAllText(Path.Combine(userHome, ".gemini", "oauth_creds.json"), "{}");
        // GEMINI_CLI_HOME wins over HOME, as in the CLI.
        Assert.False(GeminiRuntime.Instance.CheckAvailability("gemini", both).Authorized);
        Assert.True(GeminiRuntime.Instance.CheckAvailability("gemini", new Dictionary<string, string?> { ["HOME"] = userHome }).Authorized);

        File.WriteAllText(Path.Combine(cliHome, ".gemini", "oauth_creds.json"), "{}");
        Assert.True(GeminiRuntime.Instance.CheckAvailability("gemini", both).Authorized);
    }
}
