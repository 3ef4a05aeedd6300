namespace AgentKanban.Contracts;

/// <summary>Every error answer: <c>{"error":{"code":"…","message":"…"}}</c>.</summary>
public sealed record ErrorEnvelope(ErrorBody Error);

/// <summary><c>code</c> is a stable machine-readable string (e.g. <c>not_found</c>, <c>illegal_transition</c>); <c>field</c> names the offending input.</summary>
public sealed record ErrorBody(string Code, string Message, string? Field = null);

public static class ErrorCodes
{
    public const string BadRequest = "bad_request";
    public const string Validation = "validation_failed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string Conflict = "conflict";
    public const string IllegalTransition = "illegal_transition";
    public const string StaleEpoch = "stale_epoch";
    public const string LeaseHeld = "lease_held";
    public const string PayloadTooLarge = "payload_too_large";
    public const string Internal = "internal_error";

    /// <summary>
    /// 503: the server runs but its database does not answer. Nothing was changed; retry. Leases are not lost to such an
    /// outage: the server gives every held lease one full lease of grace once the database answers again.
    /// </summary>
    public const string StorageUnavailable = "storage_unavailable";
}
