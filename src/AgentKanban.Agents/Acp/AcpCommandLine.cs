using System.Text;

namespace AgentKanban.Agents.Acp;

/// <summary>
/// The ACP agent to run, as a command line (<c>claude-agent-acp</c>, <c>copilot --acp</c>, <c>gemini --acp</c>, …): the
/// agent's own <c>command</c>, else the daemon's default from <see cref="DefaultVariable"/>, else
/// <see cref="BuiltInDefault"/>. Split into words like a shell does for simple cases: blanks separate words, single quotes
/// keep everything literally, double quotes keep blanks (a backslash escapes <c>"</c> and <c>\</c> inside them, and any
/// character outside quotes). No variables, globs or redirections.
/// </summary>
public static class AcpCommandLine
{
    /// <summary>The daemon-wide default agent command, used when an agent names none.</summary>
    public const string DefaultVariable = "AK_ACP_COMMAND";

    /// <summary>The agent run when neither the agent nor the daemon names one: Claude Code through Zed's ACP adapter.</summary>
    public const string BuiltInDefault = "claude-agent-acp";

    /// <summary>The daemon's default command's words: <see cref="DefaultVariable"/> when set, else <see cref="BuiltInDefault"/>.</summary>
    public static IReadOnlyList<string> Default(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.TryGetValue(DefaultVariable, out var command) && !string.IsNullOrWhiteSpace(command) && Split(command) is { Count: > 0 } words
            ? words
            : [BuiltInDefault];
    }

    /// <summary>The words of <paramref name="command"/>; throws <see cref="FormatException"/> for an unclosed quote or a trailing backslash.</summary>
    public static IReadOnlyList<string> Split(string command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    inWord = true;
                    var close = command.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"unclosed single quote in the agent command: {command}");
                    }

                    word.Append(command, i + 1, close - i - 1);
                    i = close;
                    break;
                case '"':
                    inWord = true;
                    i++;
                    while (true)
                    {
                        if (i >= command.Length)
                        {
                            throw new FormatException($"unclosed double quote in the agent command: {command}");
                        }

                        if (command[i] == '"')
                        {
                            break;
                        }

                        // Inside double quotes a backslash escapes only what would otherwise end or escape the quote.
                        if (command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\')
                        {
                            i++;
                        }

                        word.Append(command[i]);
                        i++;
                    }

                    break;
                case '\\':
                    if (i + 1 >= command.Length)
                    {
                        throw new FormatException($"trailing backslash in the agent command: {command}");
                    }

                    inWord = true;
                    word.Append(command[++i]);
                    break;
                default:
                    inWord = true;
                    word.Append(c);
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
