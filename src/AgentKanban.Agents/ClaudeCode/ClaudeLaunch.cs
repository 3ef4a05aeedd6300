namespace AgentKanban.Agents.ClaudeCode;

/// <summary>How the prompt reaches the CLI.</summary>
public enum PromptDelivery
{
    /// <summary>As the last command-line argument (after <c>--</c>), or on standard input when too long for one argument.</summary>
    Auto,
    /// <summary>Always as the last command-line argument.</summary>
    Argument,
    /// <summary>As one <c>--input-format stream-json</c> user message on standard input, which is then closed.</summary>
    StreamJsonStdin,
}

/// <summary>Everything needed to start (or resume) one Claude Code run.</summary>
public sealed record ClaudeLaunch
{
    /// <summary>The task prompt, or the resume message. Never empty: the API refuses an empty turn.</summary>
    public required string Prompt { get; init; }

    /// <summary>
    /// A new run: the session id chosen up front (a UUID), passed as <c>--session-id</c> so the daemon knows the
    /// provider's id before the process prints anything. A resume: the stored resume token, passed as <c>--resume</c>.
    /// </summary>
    public required string SessionId { get; init; }

    public bool Resume { get; init; }

    public string? Model { get; init; }

    /// <summary>Our work protocol, appended to Claude Code's own system prompt — on resume too, so it is never lost.</summary>
    public string? AppendSystemPrompt { get; init; }

    public ClaudePermissions Permissions { get; init; } = ClaudePermissions.Default;

    public PromptDelivery Delivery { get; init; } = PromptDelivery.Auto;

    /// <summary>
    /// Live input: the prompt goes on standard input as a stream-json user message and standard input stays open, so
    /// more user messages can be written while the agent works (<see cref="ClaudeArgs.StreamJsonUserMessage(string, string, Guid?)"/>).
    /// Adds <c>--replay-user-messages</c>: the CLI echoes each message (with its <c>uuid</c>) once the conversation has
    /// taken it (<see cref="Core.Events.InputAccepted"/>). With stream-json input the CLI does not exit after a turn's
    /// <c>result</c>: it waits for the next message until its standard input is closed.
    /// </summary>
    public bool LiveInput { get; init; }

    /// <summary>The <c>uuid</c> of the prompt's stream-json message (echoed back with live input); null: none.</summary>
    public Guid? PromptMessageId { get; init; }

    /// <summary>The executable: <c>claude</c> (found on the agent's PATH) or a full path.</summary>
    public string Executable { get; init; } = "claude";

    /// <summary>Extra arguments placed before the prompt (for options this builder does not know).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>
/// A ready command: what to run, its arguments, and what to write to its standard input (null: nothing, stdin is empty);
/// <paramref name="KeepInputOpen"/>: standard input stays open after that for more messages (live input).
/// </summary>
public sealed record ClaudeCommand(string Executable, IReadOnlyList<string> Arguments, byte[]? StandardInput, bool KeepInputOpen = false);
