using System.Collections.Frozen;
using System.Security.Cryptography;

namespace AgentKanban.Server.Web;

/// <summary>
/// The web board's files (HTML, CSS, JavaScript modules), embedded in this assembly as <c>web/NAME</c> resources so a
/// self-contained <c>ak</c> serves them with nothing on disk and nothing fetched from elsewhere. Each file is read
/// once, with a strong ETag (SHA-256 of its bytes). Answers carry <c>Cache-Control: no-cache</c>: the browser keeps
/// its copy but revalidates it, and an unchanged file costs a 304 — file names carry no version, so a longer
/// lifetime could serve a stale script after an upgrade.
/// </summary>
public sealed class WebAssets
{
    private const string ResourcePrefix = "web/";

    // The page loads nothing from anywhere else; inline script is never allowed (the markup has none).
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

    private readonly FrozenDictionary<string, Asset> _assets;

    public WebAssets()
    {
        var assembly = typeof(WebAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            var etag = "\"" + Convert.ToBase64String(SHA256.HashData(bytes), 0, 18).Replace('+', '-').Replace('/', '_') + "\"";
            assets[name] = new Asset(name, bytes, ContentTypeOf(name), etag);
        }

        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Names of the embedded files (e.g. <c>index.html</c>, <c>app.js</c>).</summary>
    public IEnumerable<string> Names => _assets.Keys;

    /// <summary>Writes the named file, or a 304 when the browser's copy is current. False when there is no such file.</summary>
    public async Task<bool> TryServeAsync(HttpContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_assets.TryGetValue(name, out var asset))
        {
            return false;
        }

        var response = context.Response;
        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        if (asset.ContentType.StartsWith("text/html", StringComparison.Ordinal))
        {
            response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            response.Headers.XFrameOptions = "DENY";
        }

        if (IfNoneMatch(context.Request, asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return true;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(asset.Bytes, context.RequestAborted);
        }

        return true;
    }

    private static bool IfNoneMatch(HttpRequest request, string etag)
    {
        foreach (var value in request.Headers.IfNoneMatch)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var candidate in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (candidate == "*" || string.Equals(candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate, etag, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    };

    private sealed record Asset(string Name, byte[] Bytes, string ContentType, string ETag);
}
