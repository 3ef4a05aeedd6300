namespace AgentKanban.Server.Auth;

/// <summary>
/// Cross-site request forgery defence for requests authenticated by the session cookie. The cookie is
/// <c>SameSite=Strict</c> (a cross-site page cannot make the browser send it); on top of that a state-changing
/// request must carry <see cref="HeaderName"/> — a custom header that a cross-origin page cannot add without a CORS
/// preflight the server never grants — and, when the browser names an <c>Origin</c>, it must be this server's.
/// </summary>
public static class CsrfGuard
{
    public const string HeaderName = "X-AK-Request";

    public const string HeaderValue = "web";

    /// <summary>GET, HEAD and OPTIONS change nothing: they pass. Everything else must prove it comes from our page.</summary>
    public static bool Allows(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return true;
        }

        return HasHeader(request) && OriginMatches(request);
    }

    /// <summary>True when the request carries the custom header with the expected value.</summary>
    public static bool HasHeader(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.TryGetValue(HeaderName, out var values) && values.Count == 1
            && string.Equals(values[0], HeaderValue, StringComparison.Ordinal);
    }

    /// <summary>No <c>Origin</c> header (same-origin GETs, old browsers), or an <c>Origin</c> equal to this server's.</summary>
    public static bool OriginMatches(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Headers.TryGetValue("Origin", out var origin) || origin.Count == 0)
        {
            return true;
        }

        var own = request.Scheme + "://" + request.Host.Value;
        return origin.Count == 1 && string.Equals(origin[0], own, StringComparison.OrdinalIgnoreCase);
    }
}
