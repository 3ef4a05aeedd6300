using System.Net;

namespace AgentKanban.Client;

/// <summary>
/// A call to the board server failed: no answer at all (<see cref="Status"/> null: refused, DNS, timeout, a stream that
/// broke), an error answer (<see cref="Status"/> 4xx/5xx, with the server's <see cref="Code"/> and message when it was in
/// the server's error shape, <c>{"error":{"code","message","field"}}</c>), or a success answer that could not be read.
/// <see cref="IsTransient"/> decides between "try again later" (no answer, timeouts, 408, 425, 429, 5xx, answers that are
/// not the server's JSON — e.g. a proxy's HTML page) and "the server said no" (its own 4xx), which retrying cannot fix.
/// </summary>
public sealed class ServerApiException : Exception
{
    public ServerApiException(string message, HttpStatusCode? status, string? code, bool isTransient, Exception? inner = null, string? field = null)
        : base(message, inner)
    {
        Status = status;
        Code = code;
        IsTransient = isTransient;
        Field = field;
    }

    public ServerApiException()
    {
    }

    public ServerApiException(string message)
        : base(message)
    {
    }

    public ServerApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>HTTP status, or null when no answer arrived.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The server's error code (<c>ErrorCodes</c>) when the answer was in its error shape; null for any other.</summary>
    public string? Code { get; }

    /// <summary>The input the server named as the offending one, when it named one.</summary>
    public string? Field { get; }

    public bool IsTransient { get; }

    /// <summary>Nothing came back: the server could not be reached, did not answer in time, or a stream broke.</summary>
    public bool IsNoAnswer => Status is null;

    /// <summary>An answer with an error status (4xx/5xx), from the server or from something in between.</summary>
    public bool IsErrorAnswer => Status is { } status && (int)status >= 400;

    public bool IsNotFound => Status == HttpStatusCode.NotFound;

    public bool IsConflict => Status == HttpStatusCode.Conflict;

    /// <summary>Classifies an HTTP status: 408, 425, 429 and every 5xx are worth retrying.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or (HttpStatusCode)425 or HttpStatusCode.TooManyRequests
        || (int)status >= 500;
}
