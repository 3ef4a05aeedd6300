namespace AgentKanban.Daemon.Git;

/// <summary>What a finished git process left: exit code, standard output (head, capped) and the tail of standard error.</summary>
public sealed record GitResult(int ExitCode, string StandardOutput, string StandardError, bool OutputTruncated)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Standard output without the trailing newline git prints after a single value.</summary>
    public string Trimmed => StandardOutput.TrimEnd('\n', '\r');
}
