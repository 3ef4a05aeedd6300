using AgentKanban.Contracts;

namespace AgentKanban.Server.Http;

/// <summary>
/// A refusal with a status code and a stable error code. Thrown inside a write transaction it rolls the whole
/// transaction back; the mutation pipeline turns it into the JSON error envelope.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int status, string code, string message, string? field = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Field = field;
    }

    public ApiException()
        : this(StatusCodes.Status500InternalServerError, ErrorCodes.Internal, "internal error")
    {
    }

    public ApiException(string message)
        : this(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, message)
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status500InternalServerError;
        Code = ErrorCodes.Internal;
    }

    public int Status { get; }

    public string Code { get; }

    public string? Field { get; }

    public static ApiException Validation(string field, string message) =>
        new(StatusCodes.Status400BadRequest, ErrorCodes.Validation, message, field);

    public static ApiException BadRequest(string message) =>
        new(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, message);

    public static ApiException NotFound(string what, string id) =>
        new(StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"{what} '{id}' not found");

    public static ApiException Forbidden(string message) =>
        new(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, message);

    public static ApiException Conflict(string message, string code = ErrorCodes.Conflict, string? field = null) =>
        new(StatusCodes.Status409Conflict, code, message, field);

    public static ApiException Unauthorized(string message) =>
        new(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, message);
}
