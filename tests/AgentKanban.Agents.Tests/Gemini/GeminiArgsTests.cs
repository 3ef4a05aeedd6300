using System.Text;
using AgentKanban.Agents.Gemini;

namespace AgentKanban.Agents.Tests.Gemini;

public sealed class GeminiArgsTests
{
    private const string Id = "6d0c9a55-3f0e-4b8e-9a41-2c7e5d1f8b20";

    [Fact]
    public void A_new_conversation_is_named_up_front()
    {
        var command = GeminiArgs.Build(new GeminiLaunch("Do the task.", Id, Resume: false, "gemini-2.5-flash", "yolo"));

        Assert.Equal(
            ["--output-format", "stream-json", "--skip-trust", "--session-id", Id, "--approval-mode", "yolo", "-m", "gemini-2.5-flash", "--prompt=Do the task."],
            command.Arguments);
        Assert.Null(command.StandardInput);
    }

    [Fact]
    public void A_resume_names_the_conversation_and_leaves_the_model_to_the_CLI_when_unset()
    {
        var command = GeminiArgs.Build(new GeminiLaunch("-continue", Id, Resume: true, null, "auto_edit"));

        // "--prompt=" keeps a prompt that starts with a dash from being read as an option.
        Assert.Equal(["--output-format", "stream-json", "--skip-trust", "--resume", Id, "--approval-mode", "auto_edit", "--prompt=-continue"], command.Arguments);
    }

    [Fact]
    public void A_prompt_too_long_for_one_argument_goes_on_standard_input()
    {
        var prompt = new string('p', GeminiArgs.MaxArgumentBytes + 1);

        var command = GeminiArgs.Build(new GeminiLaunch(prompt, Id, Resume: false, null, "yolo"));

        Assert.Equal("--prompt=", command.Arguments[^1]);
        Assert.Equal(prompt, Encoding.UTF8.GetString(command.StandardInput!));
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { " ", Id, "yolo" },
        { "go", "latest", "yolo" },
        { "go", Id, "acceptEdits" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Bad_launches_are_refused(string prompt, string sessionId, string mode)
    {
        Assert.Throws<ArgumentException>(() => GeminiArgs.Build(new GeminiLaunch(prompt, sessionId, Resume: false, null, mode)));
    }

    [Theory]
    [InlineData(null, "yolo")]
    [InlineData("", "yolo")]
    [InlineData("acceptEdits", "yolo")]
    [InlineData("bypassPermissions", "yolo")]
    [InlineData("auto_edit", "auto_edit")]
    [InlineData("plan", "plan")]
    public void Permission_modes_map_to_approval_modes(string? permissionMode, string approvalMode)
    {
        Assert.Equal(approvalMode, GeminiArgs.ApprovalMode(permissionMode));
    }
}
