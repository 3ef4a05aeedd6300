namespace AgentKanban.Agents.ClaudeCode;

/// <summary>
/// How a headless Claude Code agent is allowed to edit files and run commands (configurable per agent).
/// <para>
/// Default: <c>--permission-mode acceptEdits --allowedTools Bash,Edit,…</c>. It works both as root and as
/// an ordinary user: file edits are accepted and the listed tools (Bash included, so the agent can run
/// <c>git</c>, builds and <c>ak task …</c>) need no approval. <c>bypassPermissions</c> (and
/// <c>--dangerously-skip-permissions</c>) are refused by the CLI when it runs as root unless
/// <c>IS_SANDBOX=1</c> is set, so they are opt-in (<see cref="Bypass"/>) and say what environment they need.
/// In <c>-p</c> mode a tool outside the list is refused and the refusal goes back to the model as an error.
/// </para>
/// </summary>
public sealed record ClaudePermissions
{
    public static IReadOnlyList<string> DefaultAllowedTools { get; } =
    [
        "Bash", "Edit", "Write", "MultiEdit", "NotebookEdit", "Read", "Glob", "Grep", "TodoWrite", "Task", "WebFetch", "WebSearch",
    ];

    /// <summary>acceptEdits with the default tool list: works as root and as an ordinary user.</summary>
    public static ClaudePermissions Default { get; } = new();

    /// <summary>No permission checks at all. As root the CLI requires <c>IS_SANDBOX=1</c> (see <see cref="RequiredEnvironment"/>).</summary>
    public static ClaudePermissions Bypass { get; } = new() { Mode = "bypassPermissions", AllowedTools = [] };

    /// <summary>The CLI's <c>--permission-mode</c> (<c>acceptEdits</c>, <c>bypassPermissions</c>, <c>dontAsk</c>, …); null leaves it out.</summary>
    public string? Mode { get; init; } = "acceptEdits";

    /// <summary>Tools allowed without asking (<c>--allowedTools</c>); rules like <c>Bash(git *)</c> are passed as given.</summary>
    public IReadOnlyList<string> AllowedTools { get; init; } = DefaultAllowedTools;

    /// <summary>Tools always refused (<c>--disallowedTools</c>).</summary>
    public IReadOnlyList<string> DisallowedTools { get; init; } = [];

    /// <summary>Environment the chosen mode needs on this machine (the CLI's root check for bypass modes).</summary>
    public IReadOnlyDictionary<string, string> RequiredEnvironment(bool runningAsRoot) =>
        runningAsRoot && Mode == "bypassPermissions"
            ? new Dictionary<string, string> { ["IS_SANDBOX"] = "1" }
            : new Dictionary<string, string>();
}
