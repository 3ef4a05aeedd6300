namespace AgentKanban.Cli.Config;

/// <summary>What <c>config.json</c> holds: where the board server is and the user's personal token.</summary>
public sealed record CliConfig(string? Server = null, string? Token = null);
