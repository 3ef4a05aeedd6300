using System.Net;

namespace AgentKanban.Cli.Api;

/// <summary>The server answered with an error (<c>{"error":{"code","message","field"}}</c>); the message is the server's own.</summary>
public sealed class ApiException : CliFailureException
{
    public ApiException(HttpStatusCode status, string code, string message, string? field = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Field = field;
    }

    public ApiException()
    {
        Code = "";
    }

    public ApiException(string message)
        : base(message)
    {
        Code = "";
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "";
    }

    public HttpStatusCode Status { get; }

    public string Code { get; }

    public string? Field { get; }
}
