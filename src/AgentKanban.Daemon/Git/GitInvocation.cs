namespace AgentKanban.Daemon.Git;

/// <summary>One run of the git CLI: an argument list (never a shell line), a working directory and
/// optional environment overrides (a null value removes the variable).</summary>
public sealed record GitInvocation(string WorkingDirectory, IReadOnlyList<string> Arguments)
{
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Bytes of standard output kept; the rest is read and discarded so git never blocks on a full pipe.</summary>
    public int MaxOutputBytes { get; init; } = GitRunner.DefaultMaxOutputBytes;

    /// <summary>Kill git when it runs longer than this (null: only the caller's token stops it).</summary>
    public TimeSpan? Timeout { get; init; }
}
