using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;
using AgentKanban.Server.Data;

namespace AgentKanban.Server.Http;

/// <summary>
/// The typed result every API endpoint returns: a status code and an already serialised JSON body (so a mutation
/// can store the exact answer for idempotent replay inside its own transaction).
/// </summary>
public sealed class ApiResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    private const string JsonContentType = "application/json; charset=utf-8";

    private ApiResult(int statusCode, byte[] body, bool replayed = false)
    {
        StatusCode = statusCode;
        Body = body;
        Replayed = replayed;
    }

    public int StatusCode { get; }

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string ContentType => JsonContentType;

    /// <summary>UTF-8 JSON (empty for 204).</summary>
    public byte[] Body { get; }

    /// <summary>True when this is a stored answer sent again for a repeated <c>Idempotency-Key</c>.</summary>
    public bool Replayed { get; }

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public static ApiResult Ok<T>(T value, JsonTypeInfo<T> typeInfo) => Json(StatusCodes.Status200OK, value, typeInfo);

    public static ApiResult Created<T>(T value, JsonTypeInfo<T> typeInfo) => Json(StatusCodes.Status201Created, value, typeInfo);

    public static ApiResult NoContent() => new(StatusCodes.Status204NoContent, []);

    public static ApiResult Json<T>(int statusCode, T value, JsonTypeInfo<T> typeInfo) =>
        new(statusCode, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));

    public static ApiResult Error(int statusCode, string code, string message, string? field = null) =>
        Json(statusCode, new ErrorEnvelope(new ErrorBody(code, message, field)), ContractsJsonContext.Default.ErrorEnvelope);

    public static ApiResult Error(ApiException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Error(exception.Status, exception.Code, exception.Message, exception.Field);
    }

    public static ApiResult Error(DomainException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Error(StatusCodeOf(exception.Kind), exception.Code, exception.Message, exception.Field);
    }

    /// <summary>The HTTP status that answers a refusal of this kind.</summary>
    public static int StatusCodeOf(DomainErrorKind kind) => kind switch
    {
        DomainErrorKind.Validation or DomainErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        DomainErrorKind.Unauthorized => StatusCodes.Status401Unauthorized,
        DomainErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        DomainErrorKind.NotFound => StatusCodes.Status404NotFound,
        DomainErrorKind.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    };

    public static ApiResult Stored(int statusCode, byte[] body) => new(statusCode, body, replayed: true);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        if (Replayed)
        {
            response.Headers["Idempotent-Replayed"] = "true";
        }

        if (Body.Length == 0)
        {
            return;
        }

        response.ContentType = JsonContentType;
        response.ContentLength = Body.Length;
        await response.Body.WriteAsync(Body, httpContext.RequestAborted);
    }
}
