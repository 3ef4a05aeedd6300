namespace AgentKanban.Daemon.Outbox;

/// <summary>
/// A report to the server, before it is queued: an HTTP request plus the idempotency key the server
/// deduplicates it by. <see cref="SignAsSession"/> sends it with a token signed by the session's own key
/// (agent messages are the agent's words), otherwise with the machine key. <see cref="SessionId"/> is the local
/// session id; <see cref="TaskId"/> marks reports the dispatcher must see delivered before it touches the task again.
/// </summary>
public sealed record Report(
    string Kind,
    string IdempotencyKey,
    string Method,
    string Path,
    string? Body,
    string? SessionId,
    string? TaskId = null,
    bool SignAsSession = false);
