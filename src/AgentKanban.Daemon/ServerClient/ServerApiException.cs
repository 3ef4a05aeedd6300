using System.Net;

namespace AgentKanban.Daemon.ServerClient;

/// <summary>
/// A call to the board server failed. <see cref="IsTransient"/> decides between "try again later"
/// (network errors, timeouts, 5xx, 429, answers that are not our JSON — e.g. a proxy's HTML page) and
/// "the server said no" (other 4xx), which retrying cannot fix.
/// </summary>
public sealed class ServerApiException : Exception
{
    public ServerApiException(string message, HttpStatusCode? status, string? code, bool isTransient, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
        Code = code;
        IsTransient = isTransient;
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

    /// <summary>The server's error code (<c>ErrorCodes</c>), when it sent one.</summary>
    public string? Code { get; }

    public bool IsTransient { get; }

    public bool IsNotFound => Status == HttpStatusCode.NotFound;

    public bool IsConflict => Status == HttpStatusCode.Conflict;

    /// <summary>Classifies an HTTP status: 408, 425, 429 and every 5xx are worth retrying.</summary>
    public static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or (HttpStatusCode)425 or HttpStatusCode.TooManyRequests
        || (int)status >= 500;
}
