using AgentKanban.Agents.Acp;

namespace AgentKanban.Agents.Tests.Acp;

public sealed class AcpCommandLineTests
{
    [Theory]
    [InlineData("claude-agent-acp", new[] { "claude-agent-acp" })]
    [InlineData("  copilot   --acp ", new[] { "copilot", "--acp" })]
    [InlineData("hermes acp --model 'big one'", new[] { "hermes", "acp", "--model", "big one" })]
    [InlineData("agent --name \"a \\\"quoted\\\" word\"", new[] { "agent", "--name", "a \"quoted\" word" })]
    [InlineData("/opt/my\\ agent/bin --x=''", new[] { "/opt/my agent/bin", "--x=" })]
    [InlineData("a'b'\"c\"d", new[] { "abcd" })]
    [InlineData("", new string[0])]
    public void Words_are_split_like_a_simple_shell_does(string command, string[] words) =>
        Assert.Equal(words, AcpCommandLine.Split(command));

    [Theory]
    [InlineData("agent 'open")]
    [InlineData("agent \"open")]
    [InlineData("agent \\")]
    public void Broken_quoting_is_refused(string command) =>
        Assert.Throws<FormatException>(() => AcpCommandLine.Split(command));

    [Theory]
    [InlineData(null, new[] { "claude-agent-acp" })]
    [InlineData("  ", new[] { "claude-agent-acp" })]
    [InlineData("gemini --acp", new[] { "gemini", "--acp" })]
    public void The_default_comes_from_AK_ACP_COMMAND_else_claude_agent_acp(string? variable, string[] words)
    {
        var environment = new Dictionary<string, string?> { [AcpCommandLine.DefaultVariable] = variable };
        Assert.Equal(words, AcpCommandLine.Default(environment));
    }
}
