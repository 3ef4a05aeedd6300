namespace AgentKanban.Cli.Output;

/// <summary><c>ak config get</c>: the effective settings, the token masked, and where each value came from.</summary>
public sealed record ConfigView(string? Server, string? ServerSource, string? Token, string? TokenSource, string Path, string? Identity = null);

/// <summary><c>ak why TASK</c>: the task's status and the reasons it is (not) running, most important first.</summary>
public sealed record WhyReport(string TaskId, string Status, IReadOnlyList<string> Reasons, string? Why = null, DateTimeOffset? WhyAt = null);

/// <summary>One line of <c>ak delete</c>.</summary>
public sealed record DeletedResource(string Kind, string Id, bool Deleted = true);

/// <summary>One document of <c>ak apply</c> and what happened to it (<c>created</c>, <c>updated</c>, <c>unchanged</c>).</summary>
public sealed record AppliedResource(string Kind, string Id, string Action, string? Name = null);

/// <summary>What <c>ak up</c> started.</summary>
public sealed record UpSummary(string Url, string? Token, string DataDir, string ConfigPath);
