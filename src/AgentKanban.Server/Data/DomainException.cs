using AgentKanban.Contracts;

namespace AgentKanban.Server.Data;

/// <summary>What kind of refusal a <see cref="DomainException"/> is; the HTTP layer picks the status code from it.</summary>
public enum DomainErrorKind
{
    BadRequest,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
}

/// <summary>
/// A rule of the board refused the request (bad input, a missing resource, a role or state that does not allow it),
/// with a stable error code from <see cref="ErrorCodes"/>. Thrown inside a write transaction it rolls the whole
/// transaction back. The data and auth layers throw it without knowing about HTTP; the HTTP layer maps
/// <see cref="Kind"/> to the status code of the JSON error envelope.
/// </summary>
public sealed class DomainException : Exception
{
    public DomainException(DomainErrorKind kind, string code, string message, string? field = null)
        : base(message)
    {
        Kind = kind;
        Code = code;
        Field = field;
    }

    public DomainException()
        : this(DomainErrorKind.BadRequest, ErrorCodes.BadRequest, "bad request")
    {
    }

    public DomainException(string message)
        : this(DomainErrorKind.BadRequest, ErrorCodes.BadRequest, message)
    {
    }

    public DomainException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = DomainErrorKind.BadRequest;
        Code = ErrorCodes.BadRequest;
    }

    public DomainErrorKind Kind { get; }

    public string Code { get; }

    public string? Field { get; }

    public static DomainException Validation(string field, string message) =>
        new(DomainErrorKind.Validation, ErrorCodes.Validation, message, field);

    public static DomainException BadRequest(string message) =>
        new(DomainErrorKind.BadRequest, ErrorCodes.BadRequest, message);

    public static DomainException NotFound(string what, string id) =>
        new(DomainErrorKind.NotFound, ErrorCodes.NotFound, $"{what} '{id}' not found");

    public static DomainException Forbidden(string message) =>
        new(DomainErrorKind.Forbidden, ErrorCodes.Forbidden, message);

    public static DomainException Conflict(string message, string code = ErrorCodes.Conflict, string? field = null) =>
        new(DomainErrorKind.Conflict, code, message, field);

    public static DomainException Unauthorized(string message) =>
        new(DomainErrorKind.Unauthorized, ErrorCodes.Unauthorized, message);

    /// <summary>
    /// A worker session's epoch is no longer the task's: the task was re-leased (or its lease expired) since the session
    /// started, so what the session does no longer belongs to the task.
    /// </summary>
    public static DomainException StaleEpoch(long sessionEpoch, long taskEpoch) =>
        Conflict(
            $"stale epoch: this session was started at epoch {sessionEpoch} but the task is now at epoch {taskEpoch} (it was re-leased or its lease expired)",
            ErrorCodes.StaleEpoch);
}
