namespace AgentKanban.Client.Sse;

/// <summary>
/// One Server-Sent Events frame: the last <c>id:</c> seen (it carries over to frames without one), its <c>event:</c>
/// (null when none) and its <c>data:</c> lines joined with line feeds.
/// </summary>
public sealed record SseFrame(string? Id, string? Event, string Data);
