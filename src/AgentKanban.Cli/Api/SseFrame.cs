namespace AgentKanban.Cli.Api;

/// <summary>One Server-Sent Events frame: <c>id:</c>, <c>event:</c> and the joined <c>data:</c> lines.</summary>
public sealed record SseFrame(string? Id, string? Event, string Data);
