namespace AgentKanban.Daemon.Outbox;

/// <summary>A report to the server waiting to be delivered: an HTTP request stored with its idempotency key.</summary>
public sealed record OutboxItem(
    long Id,
    string IdempotencyKey,
    string Kind,
    string Method,
    string Path,
    string? Body,
    string? SessionId,
    bool SignAsSession,
    int Attempts,
    long NextAttemptMs,
    string? LastError = null,
    long? FailedAtMs = null);
