using System.Text;
using System.Text.Json;
using AgentKanban.Agents.ClaudeCode;

namespace AgentKanban.Agents.Tests.ClaudeCode;

public sealed class ClaudeArgsTests
{
    private const string Id = "6f1c2a3e-0000-4000-8000-000000000001";

    [Fact]
    public void A_new_run_uses_the_session_id_chosen_up_front()
    {
        var command = ClaudeArgs.Build(new ClaudeLaunch
        {
            Prompt = "Task ID: t-1",
            SessionId = Id,
            Model = "claude-sonnet-4-5",
            AppendSystemPrompt = "Claim first.",
        });

        Assert.Equal("claude", command.Executable);
        Assert.Null(command.StandardInput);
        Assert.Equal(
            [
                "-p", "--output-format", "stream-json", "--verbose",
                "--session-id", Id,
                "--model", "claude-sonnet-4-5",
                "--append-system-prompt", "Claim first.",
                "--permission-mode", "acceptEdits",
                "--allowedTools", "Bash,Edit,Write,MultiEdit,NotebookEdit,Read,Glob,Grep,TodoWrite,Task,WebFetch,WebSearch",
                "--", "Task ID: t-1",
            ],
            command.Arguments);
    }

    [Fact]
    public void A_resume_keeps_the_system_prompt_and_takes_the_resume_token()
    {
        var command = ClaudeArgs.Build(new ClaudeLaunch
        {
            Prompt = "Rate limit window has reset. Continue.",
            SessionId = "resume-token-1",
            Resume = true,
            AppendSystemPrompt = "Claim first.",
            Permissions = ClaudePermissions.Default with { AllowedTools = ["Bash(git *)", "Edit"], DisallowedTools = ["WebFetch"] },
        });

        Assert.Equal(
            [
                "-p", "--output-format", "stream-json", "--verbose",
                "--resume", "resume-token-1",
                "--append-system-prompt", "Claim first.",
                "--permission-mode", "acceptEdits",
                "--allowedTools", "Bash(git *),Edit",
                "--disallowedTools", "WebFetch",
                "--", "Rate limit window has reset. Continue.",
            ],
            command.Arguments);
    }

    [Fact]
    public void A_prompt_that_looks_like_an_option_stays_a_prompt()
    {
        var args = ClaudeArgs.Build(new ClaudeLaunch { Prompt = "--help me", SessionId = Id }).Arguments;
        Assert.Equal(["--", "--help me"], args.TakeLast(2));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_prompt_is_refused(string prompt)
    {
        Assert.Throws<ArgumentException>(() => ClaudeArgs.Build(new ClaudeLaunch { Prompt = prompt, SessionId = Id, Resume = true }));
    }

    [Fact]
    public void A_new_run_needs_a_uuid()
    {
        Assert.Throws<ArgumentException>(() => ClaudeArgs.Build(new ClaudeLaunch { Prompt = "x", SessionId = "not-a-uuid" }));
        Assert.Throws<ArgumentException>(() => ClaudeArgs.Build(new ClaudeLaunch { Prompt = "x", SessionId = "" }));
        Assert.Throws<ArgumentException>(() => ClaudeArgs.Build(new ClaudeLaunch
        {
            Prompt = "x",
            SessionId = Id,
            AppendSystemPrompt = new string('s', ClaudeArgs.MaxArgumentBytes + 1),
        }));
    }

    [Fact]
    public void A_prompt_too_long_for_one_argument_goes_to_stdin_as_stream_json()
    {
        var prompt = new string('p', ClaudeArgs.MaxArgumentBytes + 1) + " \"quoted\"\n";
        var command = ClaudeArgs.Build(new ClaudeLaunch { Prompt = prompt, SessionId = Id });

        Assert.Contains("--input-format", command.Arguments);
        Assert.DoesNotContain("--", command.Arguments);
        Assert.DoesNotContain(prompt, command.Arguments);
        Assert.NotNull(command.StandardInput);
        Assert.Equal((byte)'\n', command.StandardInput[^1]);
        using var message = JsonDocument.Parse(command.StandardInput);
        Assert.Equal("user", message.RootElement.GetProperty("type").GetString());
        Assert.Equal(prompt, message.RootElement.GetProperty("message").GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(Id, message.RootElement.GetProperty("session_id").GetString());
        Assert.Equal(1, Encoding.UTF8.GetString(command.StandardInput).Count(c => c == '\n'));
    }

    [Fact]
    public void Stdin_delivery_can_be_chosen_and_argument_delivery_forced()
    {
        var viaStdin = ClaudeArgs.Build(new ClaudeLaunch { Prompt = "short", SessionId = Id, Delivery = PromptDelivery.StreamJsonStdin });
        Assert.NotNull(viaStdin.StandardInput);
        Assert.Equal(["--input-format", "stream-json"], viaStdin.Arguments.Skip(4).Take(2));

        var forced = ClaudeArgs.Build(new ClaudeLaunch { Prompt = new string('p', ClaudeArgs.MaxArgumentBytes + 1), SessionId = Id, Delivery = PromptDelivery.Argument });
        Assert.Null(forced.StandardInput);
    }

    [Fact]
    public void Live_input_puts_the_prompt_on_stdin_with_its_uuid_keeps_it_open_and_asks_for_echoes()
    {
        var uuid = Guid.NewGuid();
        var command = ClaudeArgs.Build(new ClaudeLaunch { Prompt = "short", SessionId = Id, LiveInput = true, PromptMessageId = uuid, Delivery = PromptDelivery.Argument });

        Assert.True(command.KeepInputOpen);
        Assert.Contains("--replay-user-messages", command.Arguments);
        Assert.Equal(["--input-format", "stream-json"], command.Arguments.Skip(4).Take(2));
        Assert.DoesNotContain("short", command.Arguments);
        using var message = JsonDocument.Parse(command.StandardInput!);
        Assert.Equal(uuid.ToString("D"), message.RootElement.GetProperty("uuid").GetString());
        Assert.Equal("short", message.RootElement.GetProperty("message").GetProperty("content")[0].GetProperty("text").GetString());

        var plain = ClaudeArgs.Build(new ClaudeLaunch { Prompt = "short", SessionId = Id });
        Assert.False(plain.KeepInputOpen);
        Assert.DoesNotContain("--replay-user-messages", plain.Arguments);
    }

    [Fact]
    public void Bypass_mode_says_what_root_needs()
    {
        var command = ClaudeArgs.Build(new ClaudeLaunch { Prompt = "x", SessionId = Id, Permissions = ClaudePermissions.Bypass, Executable = "/opt/claude" });

        Assert.Equal("/opt/claude", command.Executable);
        Assert.Contains("bypassPermissions", command.Arguments);
        Assert.DoesNotContain("--allowedTools", command.Arguments);
        Assert.Equal("1", ClaudePermissions.Bypass.RequiredEnvironment(runningAsRoot: true)["IS_SANDBOX"]);
        Assert.Empty(ClaudePermissions.Bypass.RequiredEnvironment(runningAsRoot: false));
        Assert.Empty(ClaudePermissions.Default.RequiredEnvironment(runningAsRoot: true));
    }

    [Fact]
    public void No_permission_mode_leaves_the_flag_out()
    {
        var args = ClaudeArgs.Build(new ClaudeLaunch
        {
            Prompt = "x",
            SessionId = Id,
            Permissions = new ClaudePermissions { Mode = null, AllowedTools = [] },
            ExtraArguments = ["--max-budget-usd", "5"],
        }).Arguments;

        Assert.DoesNotContain("--permission-mode", args);
        Assert.Equal(["--max-budget-usd", "5", "--", "x"], args.TakeLast(4));
    }
}
