using AgentKanban.Agents.Copilot;

namespace AgentKanban.Agents.Tests.Copilot;

public sealed class CopilotArgsTests
{
    private const string Id = "0b5f2c1e-7d5a-4c1b-9f0e-3a2d1c0b9a87";

    public static TheoryData<string, string, bool, string?, string?, string[]> Cases => new()
    {
        {
            "Do the task.", Id, false, null, null,
            ["--prompt=Do the task.", "--output-format", "json", "--allow-all-tools", "--no-ask-user", "--no-auto-update", "--session-id=" + Id]
        },
        {
            "continue", Id, true, "gpt-5.4", null,
            ["--prompt=continue", "--output-format", "json", "--allow-all-tools", "--no-ask-user", "--no-auto-update", "--resume=" + Id, "--model=gpt-5.4"]
        },
        {
            // A prompt that looks like an option stays the prompt's value.
            "--help me", Id, false, null, "acceptEdits",
            ["--prompt=--help me", "--output-format", "json", "--allow-all-tools", "--no-ask-user", "--no-auto-update", "--session-id=" + Id]
        },
        {
            "go", "resume-token-from-the-cli", true, " ", "bypassPermissions",
            ["--prompt=go", "--output-format", "json", "--allow-all", "--no-ask-user", "--no-auto-update", "--resume=resume-token-from-the-cli"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Builds_the_command_line(string prompt, string sessionId, bool resume, string? model, string? mode, string[] expected)
    {
        Assert.Equal(expected, CopilotArgs.Build(prompt, sessionId, resume, model, mode));
    }

    public static TheoryData<string, string, bool> Refused => new()
    {
        { "", Id, false },
        { "  \n", Id, false },
        { "x", "", false },
        { "x", "not-a-uuid", false },
        { new string('p', CopilotArgs.MaxArgumentBytes + 1), Id, false },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Refuses_what_the_cli_or_the_kernel_would(string prompt, string sessionId, bool resume)
    {
        Assert.Throws<ArgumentException>(() => CopilotArgs.Build(prompt, sessionId, resume, null, null));
    }
}
