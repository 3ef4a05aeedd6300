using AgentKanban.Contracts;
using AgentKanban.Server.Auth;

namespace AgentKanban.Server.Http;

/// <summary>
/// Every <c>/api</c> request must carry <c>Authorization: Bearer …</c> (live streams may pass <c>?token=</c>, since a
/// browser's EventSource cannot set headers). Without a bearer token, the web board's session cookie identifies a
/// signed-in user; its state-changing requests must pass <see cref="CsrfGuard"/>. Unknown, revoked or expired
/// credentials → 401.
/// </summary>
public sealed class AuthenticationMiddleware(RequestDelegate next, Authenticator authenticator, WebSessions webSessions)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var token = BearerOf(context.Request);
        if (token is null && context.Request.Cookies.TryGetValue(WebSessions.CookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            await AuthenticateBrowserAsync(context, cookie);
            return;
        }

        if (token is null)
        {
            await Refuse(context, "missing bearer token (Authorization: Bearer …)");
            return;
        }

        var baseUrl = context.Request.Scheme + "://" + context.Request.Host.Value;
        var (caller, error) = await authenticator.AuthenticateAsync(token, baseUrl, context.RequestAborted);
        if (caller is null)
        {
            await Refuse(context, error ?? "not authenticated");
            return;
        }

        context.SetCaller(caller);
        await next(context);
    }

    private async Task AuthenticateBrowserAsync(HttpContext context, string cookie)
    {
        var caller = await webSessions.FindAsync(cookie, context.RequestAborted);
        if (caller is null)
        {
            await Refuse(context, "the web session has expired or was signed out; sign in again");
            return;
        }

        if (!CsrfGuard.Allows(context.Request))
        {
            await ApiResult.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
                $"a browser request that changes state must come from the board's own page (header {CsrfGuard.HeaderName}, same Origin)")
                .ExecuteAsync(context);
            return;
        }

        context.SetCaller(caller);
        await next(context);
    }

    private static string? BearerOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            return token.Length > 0 ? token : null;
        }

        if (HttpMethods.IsGet(request.Method) && request.Path.Value?.EndsWith("/events", StringComparison.Ordinal) == true
            && request.Query.TryGetValue("token", out var query) && query.Count == 1 && !string.IsNullOrEmpty(query[0]))
        {
            return query[0];
        }

        return null;
    }

    private static Task Refuse(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiResult.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, message).ExecuteAsync(context);
    }
}
