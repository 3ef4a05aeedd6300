using System.Text;
using AgentKanban.Agents.Codex;

namespace AgentKanban.Agents.Tests.Codex;

public sealed class CodexArgsTests
{
    private const string Thread = "01a25137-0e50-7971-acf9-6eec39a86128";

    public static TheoryData<string, CodexLaunch, string[]> Cases => new()
    {
        {
            "new thread in the daemon's sandbox",
            new CodexLaunch { Prompt = "Task ID: t-1", ExternallySandboxed = true },
            ["exec", "--json", "--skip-git-repo-check", "-c", "allow_login_shell=false", "--dangerously-bypass-approvals-and-sandbox", "--", "Task ID: t-1"]
        },
        {
            "resume with a model, in the daemon's sandbox",
            new CodexLaunch { Prompt = "Continue.", ThreadId = Thread, Model = "gpt-5.5", ExternallySandboxed = true },
            ["exec", "resume", "--json", "--skip-git-repo-check", "-c", "allow_login_shell=false", "-m", "gpt-5.5", "--dangerously-bypass-approvals-and-sandbox", "--", Thread, "Continue."]
        },
        {
            "new thread under Codex's own sandbox, a worktree's git folders writable",
            new CodexLaunch { Prompt = "-starts with a dash", WritableRoots = ["/r/.git/worktrees/w", "/r/.git/objects"] },
            ["exec", "--json", "--skip-git-repo-check", "-c", "allow_login_shell=false", "-s", "workspace-write",
                "-c", "sandbox_workspace_write.network_access=true", "-c", "sandbox_workspace_write.writable_roots=[\"/r/.git/worktrees/w\",\"/r/.git/objects\"]",
                "--", "-starts with a dash"]
        },
        {
            "resume under Codex's own sandbox (exec resume has no -s)",
            new CodexLaunch { Prompt = "Continue.", ThreadId = Thread },
            ["exec", "resume", "--json", "--skip-git-repo-check", "-c", "allow_login_shell=false", "-c", "sandbox_mode=\"workspace-write\"",
                "-c", "sandbox_workspace_write.network_access=true", "--", Thread, "Continue."]
        },
        {
            "the work protocol as developer instructions, quoted as TOML",
            new CodexLaunch { Prompt = "p", ExternallySandboxed = true, DeveloperInstructions = "Use `ak`.\n\t\"Quote\" C:\\path \u0001" },
            ["exec", "--json", "--skip-git-repo-check", "-c", "allow_login_shell=false", "--dangerously-bypass-approvals-and-sandbox",
                "-c", "developer_instructions=\"Use `ak`.\\n\\t\\\"Quote\\\" C:\\\\path \\u0001\"", "--", "p"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Builds_the_verified_command_line(string why, CodexLaunch launch, string[] expected)
    {
        var command = CodexArgs.Build(launch);

        Assert.True(expected.SequenceEqual(command.Arguments), $"{why}: {string.Join(' ', command.Arguments)}");
        Assert.Null(command.StandardInput);
    }

    [Fact]
    public void A_prompt_too_long_for_one_argument_goes_on_standard_input()
    {
        var prompt = new string('p', CodexArgs.MaxArgumentBytes + 1);

        var command = CodexArgs.Build(new CodexLaunch { Prompt = prompt, ThreadId = Thread, ExternallySandboxed = true });

        Assert.Equal(["--", Thread, "-"], command.Arguments.TakeLast(3));
        Assert.Equal(prompt, Encoding.UTF8.GetString(command.StandardInput!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void An_empty_prompt_is_refused(string prompt) =>
        Assert.Throws<ArgumentException>(() => CodexArgs.Build(new CodexLaunch { Prompt = prompt }));

    [Theory]
    [InlineData("")]
    [InlineData("--last")]
    public void A_thread_id_that_is_not_one_is_refused(string thread) =>
        Assert.Throws<ArgumentException>(() => CodexArgs.Build(new CodexLaunch { Prompt = "p", ThreadId = thread }));

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("line\r\nnext", "\"line\\r\\nnext\"")]
    [InlineData("bell\u0007 del\u007f", "\"bell\\u0007 del\\u007F\"")]
    [InlineData("ünïcode ✓", "\"ünïcode ✓\"")]
    public void Toml_strings_quote_what_toml_reserves(string value, string expected) =>
        Assert.Equal(expected, CodexArgs.TomlString(value));

    [Fact]
    public void Instructions_too_long_for_an_argument_do_not_fit()
    {
        Assert.True(CodexArgs.FitsAsDeveloperInstructions("short"));
        Assert.False(CodexArgs.FitsAsDeveloperInstructions(new string('\n', CodexArgs.MaxArgumentBytes / 2)));
    }
}
