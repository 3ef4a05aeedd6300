using AgentKanban.Contracts;

namespace AgentKanban.Server.Http;

/// <summary>
/// A refusal of the HTTP request itself, with its status code and a stable error code: a body that is too large, not
/// JSON or unreadable. Refusals by the board's rules are <see cref="Data.DomainException"/>s. Thrown inside a write
/// transaction it rolls the whole transaction back; the mutation pipeline turns it into the JSON error envelope.
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
}
