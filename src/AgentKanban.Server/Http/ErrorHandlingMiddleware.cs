using AgentKanban.Contracts;
using AgentKanban.Server.Data;
using AgentKanban.Server.Storage;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Server.Http;

/// <summary>
/// The outermost guard: anything unexpected becomes a JSON 500 (logged), framework refusals (400/404/405/413 without
/// a body) get the JSON error envelope, and a client that went away is not an error. A database that does not answer
/// is a 503 <c>storage_unavailable</c> (retry later), counted in <see cref="StorageHealth"/> so leases get their grace.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, StorageHealth storageHealth, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await ApiResult.Error(e).ExecuteAsync(context);
            return;
        }
        catch (DomainException e) when (!context.Response.HasStarted)
        {
            await ApiResult.Error(e).ExecuteAsync(context);
            return;
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var code = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCodes.PayloadTooLarge : ErrorCodes.BadRequest;
            await ApiResult.Error(e.StatusCode, code, e.Message).ExecuteAsync(context);
            return;
        }
        catch (Exception e) when (StorageHealth.IsStorageFailure(e))
        {
            // Counted even when the answer has started: the sweeper must know heartbeats may have failed.
            storageHealth.ReportFailure();
            ServerLog.StorageUnavailable(logger, context.Request.Method, context.Request.Path, e.Message);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await ApiResult.Error(StatusCodes.Status503ServiceUnavailable, ErrorCodes.StorageUnavailable,
                    "the database is not answering; nothing was changed, try again").ExecuteAsync(context);
            }

            return;
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            ServerLog.UnhandledError(logger, e, context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await ApiResult.Error(StatusCodes.Status500InternalServerError, ErrorCodes.Internal,
                "internal server error").ExecuteAsync(context);
            return;
        }

        var status = context.Response.StatusCode;
        if (status >= 400 && !context.Response.HasStarted && context.Response.ContentLength is null or 0)
        {
            var (code, message) = status switch
            {
                StatusCodes.Status404NotFound => (ErrorCodes.NotFound, $"no such endpoint: {context.Request.Method} {context.Request.Path}"),
                StatusCodes.Status405MethodNotAllowed => (ErrorCodes.BadRequest, $"method {context.Request.Method} is not allowed on {context.Request.Path}"),
                StatusCodes.Status413PayloadTooLarge => (ErrorCodes.PayloadTooLarge, "request body exceeds 1 MiB"),
                StatusCodes.Status401Unauthorized => (ErrorCodes.Unauthorized, "authentication required"),
                StatusCodes.Status403Forbidden => (ErrorCodes.Forbidden, "forbidden"),
                >= 500 => (ErrorCodes.Internal, "internal server error"),
                _ => (ErrorCodes.BadRequest, "bad request"),
            };
            await ApiResult.Error(status, code, message).ExecuteAsync(context);
        }
    }
}
