using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Http;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Web;

/// <summary>
/// The web board: <c>GET /</c> (the page), <c>GET /assets/{name}</c> (its CSS and JavaScript),
/// <c>POST /web/sign-in</c> (form field <c>token</c> = a personal token → session cookie) and <c>POST /web/sign-out</c>.
/// Sign-in and sign-out answer the page's script (header <see cref="CsrfGuard.HeaderName"/>) with 204/401; a plain
/// form post (no script) gets a 303 back to the board.
/// </summary>
public static class WebEndpoints
{
    public static IEndpointRouteBuilder MapWebBoard(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], ServePageAsync);
        app.MapMethods("/assets/{name}", [HttpMethods.Get, HttpMethods.Head], ServeAssetAsync);
        app.MapPost("/web/sign-in", SignInAsync);
        app.MapPost("/web/sign-out", SignOutAsync);
        return app;
    }

    private static async Task ServePageAsync(HttpContext context)
    {
        var assets = context.RequestServices.GetRequiredService<WebAssets>();
        if (!await assets.TryServeAsync(context, "index.html"))
        {
            await ApiResult.Error(StatusCodes.Status404NotFound, ErrorCodes.NotFound, "the web board is not built into this server").ExecuteAsync(context);
        }
    }

    private static async Task ServeAssetAsync(HttpContext context, string name)
    {
        var assets = context.RequestServices.GetRequiredService<WebAssets>();
        // index.html is served only at "/": one URL per page keeps the browser's cache and history simple.
        if (name == "index.html" || !await assets.TryServeAsync(context, name))
        {
            await ApiResult.Error(StatusCodes.Status404NotFound, ErrorCodes.NotFound, $"no such asset: {Data.Validate.Truncate(name)}").ExecuteAsync(context);
        }
    }

    private static async Task SignInAsync(HttpContext context, WebSessions sessions)
    {
        var request = context.Request;
        var scripted = CsrfGuard.HasHeader(request);
        // Login CSRF: another site must not sign this browser in as someone else.
        if (!CsrfGuard.OriginMatches(request))
        {
            await ApiResult.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "sign-in must come from the board's own page").ExecuteAsync(context);
            return;
        }

        if (!request.HasFormContentType)
        {
            await ApiResult.Error(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.BadRequest,
                "send the personal token as a form field named 'token'").ExecuteAsync(context);
            return;
        }

        // A sign-in form is tiny: hold it to the API's 1 MiB (Kestrel's own limit is higher, see RequestBody).
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = RequestBody.MaxBytes;
        }

        var form = await request.ReadFormAsync(context.RequestAborted);
        var token = form["token"].ToString().Trim();
        var baseUrl = request.Scheme + "://" + request.Host.Value;
        var sessionId = token.Length is > 0 and <= 500 ? await sessions.SignInAsync(token, baseUrl, context.RequestAborted) : null;
        if (sessionId is null)
        {
            if (scripted)
            {
                await ApiResult.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
                    "unknown or revoked personal token (akp_…)").ExecuteAsync(context);
            }
            else
            {
                context.Response.Redirect("/?sign-in=failed");
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
            }

            return;
        }

        context.Response.Cookies.Append(WebSessions.CookieName, sessionId, CookieOptions(request, WebSessions.Lifetime));
        Finish(context, scripted);
    }

    private static async Task SignOutAsync(HttpContext context, WebSessions sessions)
    {
        var request = context.Request;
        // Without the check, any site could sign the user out (a nuisance rather than a breach, but still refused).
        if (!CsrfGuard.OriginMatches(request) || (!CsrfGuard.HasHeader(request) && !request.Headers.ContainsKey("Origin")))
        {
            await ApiResult.Error(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "sign-out must come from the board's own page").ExecuteAsync(context);
            return;
        }

        if (request.Cookies.TryGetValue(WebSessions.CookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            await sessions.SignOutAsync(cookie, context.RequestAborted);
        }

        context.Response.Cookies.Delete(WebSessions.CookieName, CookieOptions(request, TimeSpan.Zero));
        Finish(context, CsrfGuard.HasHeader(request));
    }

    private static void Finish(HttpContext context, bool scripted)
    {
        context.Response.Headers.CacheControl = "no-store";
        if (scripted)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.Redirect("/");
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
    }

    private static CookieOptions CookieOptions(HttpRequest request, TimeSpan lifetime) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        MaxAge = lifetime > TimeSpan.Zero ? lifetime : null,
        IsEssential = true,
    };
}
