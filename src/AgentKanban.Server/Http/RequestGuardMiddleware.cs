using AgentKanban.Contracts;
using AgentKanban.Server.Data;

namespace AgentKanban.Server.Http;

/// <summary>
/// Refuses, before any endpoint runs, paths and query values that could never be stored (NUL characters, invalid
/// Unicode): such values would otherwise reach the database as parameters and fail there.
/// </summary>
public sealed class RequestGuardMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Validate.IsStorable(context.Request.Path.Value))
        {
            return Refuse(context, "the request path contains a NUL character or invalid Unicode");
        }

        foreach (var (key, values) in context.Request.Query)
        {
            if (!Validate.IsStorable(key))
            {
                return Refuse(context, "a query parameter name contains a NUL character or invalid Unicode");
            }

            foreach (var value in values)
            {
                if (!Validate.IsStorable(value) || value?.Length > 2000)
                {
                    return Refuse(context, $"query parameter '{Validate.Truncate(key)}' is too long or contains a NUL character or invalid Unicode");
                }
            }
        }

        return next(context);
    }

    private static Task Refuse(HttpContext context, string message) =>
        ApiResult.Error(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, message).ExecuteAsync(context);
}
