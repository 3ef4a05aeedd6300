namespace AgentKanban.Agents.Process;

/// <summary>What to run and how to read it. The environment is passed exactly: nothing is inherited implicitly.</summary>
public sealed record AgentProcessOptions
{
    /// <summary>A path, or a name looked up on the <c>PATH</c> of <see cref="Environment"/>.</summary>
    public required string Executable { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The child's complete environment (nothing is inherited implicitly).</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public required string WorkingDirectory { get; init; }

    /// <summary>
    /// Written to the child's standard input, which is then closed (unless <see cref="KeepStandardInputOpen"/>). Null
    /// (and not kept open): standard input is <c>/dev/null</c>.
    /// </summary>
    public ReadOnlyMemory<byte>? StandardInput { get; init; }

    /// <summary>
    /// Standard input stays open after <see cref="StandardInput"/> is written, for
    /// <see cref="AgentProcess.WriteInputAsync"/>, until <see cref="AgentProcess.CloseInput"/> (or the end of the process).
    /// </summary>
    public bool KeepStandardInputOpen { get; init; }

    /// <summary>A longer stdout line is dropped unread and reported as <see cref="OutputLineKind.TooLong"/>.</summary>
    public int MaxLineBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Lines read but not yet taken by the consumer, at most (backpressure: the child blocks on write).</summary>
    public int MaxBufferedLines { get; init; } = 1024;

    /// <summary>Bytes read but not yet taken by the consumer, at most (one line is always let through, however long).</summary>
    public long MaxBufferedBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>How much of the end of stderr is kept for the exit report.</summary>
    public int StderrTailBytes { get; init; } = 16 * 1024;

    /// <summary>
    /// After the main process exits, how long stdout may stay open. A helper that inherited the pipe keeps it
    /// open; past this the rest of the process group is killed and, if the pipe still does not close (a helper
    /// that left the group), reading is abandoned so the reader never waits forever.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
