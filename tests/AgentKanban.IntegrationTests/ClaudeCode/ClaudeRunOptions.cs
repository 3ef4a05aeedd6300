namespace AgentKanban.IntegrationTests.ClaudeCode;

/// <summary>
/// One headless run of the real CLI: <c>claude -p Prompt --output-format stream-json --verbose</c> in
/// <see cref="WorkingDirectory"/>, talking to <see cref="BaseUrl"/> with <see cref="Home"/> as HOME.
/// </summary>
public sealed record ClaudeRunOptions(string Prompt, string WorkingDirectory, string Home, Uri BaseUrl)
{
    /// <summary>Start a new conversation under this id (<c>--session-id</c>).</summary>
    public Guid? SessionId { get; init; }

    /// <summary>Continue the stored conversation with this id (<c>--resume</c>); needs the same HOME.</summary>
    public Guid? ResumeSessionId { get; init; }

    /// <summary>Permission flags; the default lets a headless agent edit files and run commands as root and as an ordinary user.</summary>
    public IReadOnlyList<string> PermissionArguments { get; init; } = ClaudeCli.HeadlessPermissionArguments;

    /// <summary>More arguments after the standard ones (e.g. <c>--model</c>, <c>--append-system-prompt</c>).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>Directories put in front of PATH (how the daemon hands the agent its <c>ak</c>).</summary>
    public IReadOnlyList<string> PathPrefix { get; init; } = [];

    /// <summary>
    /// TMPDIR for the run. The CLI keeps per-run scratch state under <c>$TMPDIR/claude-UID/</c> and a
    /// socket under <c>$TMPDIR/cc-socks/</c> and does not remove them; pointing TMPDIR into the test's own
    /// directory lets the test clean them up. Null inherits TMPDIR.
    /// </summary>
    public string? TempDirectory { get; init; }

    /// <summary>More environment variables; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// A command that runs the CLI on our behalf, e.g. <c>setpriv --reuid=65534 ...</c> to run it as an
    /// ordinary user; empty runs the CLI directly.
    /// </summary>
    public IReadOnlyList<string> Launcher { get; init; } = [];

    /// <summary>
    /// A guard against a hung run, not a performance bound: the run is killed (process tree) and reported
    /// as a failure after this long. Generous, since a loaded two-core machine can take 20 s per run.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
}
