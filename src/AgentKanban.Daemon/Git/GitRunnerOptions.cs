namespace AgentKanban.Daemon.Git;

public sealed record GitRunnerOptions
{
    /// <summary>The git executable, looked up on PATH when not rooted.</summary>
    public string Executable { get; init; } = "git";

    /// <summary>Variables set (or, when null, removed) for every git run, after the runner's own defaults.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
}
