using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Api;

/// <summary>What GitHub sends with a <c>pull_request</c> event (the parts used here).</summary>
internal sealed record GitHubPullRequestEvent
{
    public string? Action { get; init; }
    public GitHubPullRequest? PullRequest { get; init; }
}

internal sealed record GitHubPullRequest
{
    public string? HtmlUrl { get; init; }
    public bool? Merged { get; init; }
}

/// <summary>The answer: which tasks the event finished (empty when it was ignored), and why.</summary>
public sealed record GitHubWebhookAnswer(string Result, IReadOnlyList<string> Tasks);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(GitHubPullRequestEvent))]
[JsonSerializable(typeof(GitHubWebhookAnswer))]
internal sealed partial class GitHubWebhookJsonContext : JsonSerializerContext;

/// <summary>
/// <c>POST /api/webhooks/github</c>: the push path of "merged work completes itself" (the daemons' review monitor polls as
/// the fallback). Authenticated by GitHub's HMAC-SHA256 of the body under the secret of
/// <c>ak server --github-webhook-secret-file</c> (<c>X-Hub-Signature-256: sha256=…</c>, compared in constant time) rather
/// than a bearer token, so it sits before the authentication middleware. A <c>pull_request</c> event with action
/// <c>closed</c> completes (merged) or cancels (closed unmerged) every task in review whose <c>pr_url</c> is that pull
/// request, with an activity entry and events like any transition. 404 when no secret is configured, 401 on a missing or
/// wrong signature, 2xx for every other event (ignored).
/// </summary>
public static class GitHubWebhook
{
    public const string Path = "/api/webhooks/github";
    public const string SignatureHeader = "X-Hub-Signature-256";
    public const string EventHeader = "X-GitHub-Event";

    /// <summary>Branches the pipeline for the webhook's path; call it before the authentication middleware.</summary>
    public static IApplicationBuilder UseGitHubWebhook(this IApplicationBuilder app) =>
        app.Map(Path, branch => branch.Run(HandleAsync));

    private static async Task HandleAsync(HttpContext http)
    {
        var result = await AnswerAsync(http);
        await result.ExecuteAsync(http);
    }

    private static async Task<ApiResult> AnswerAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<ServerOptions>();
        if (options.GitHubWebhookSecret is not { Length: > 0 } secret)
        {
            return ApiResult.Error(StatusCodes.Status404NotFound, ErrorCodes.NotFound,
                "no GitHub webhook is configured on this server (ak server --github-webhook-secret-file FILE)");
        }

        if (!HttpMethods.IsPost(http.Request.Method))
        {
            return ApiResult.Error(StatusCodes.Status405MethodNotAllowed, ErrorCodes.BadRequest, "the GitHub webhook takes POST only");
        }

        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (body is null)
        {
            return ApiResult.Error(StatusCodes.Status413PayloadTooLarge, ErrorCodes.BadRequest, "the webhook body is too large");
        }

        if (!SignatureMatches(secret, body, http.Request.Headers[SignatureHeader].ToString()))
        {
            return ApiResult.Error(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized,
                $"missing or wrong {SignatureHeader} (HMAC-SHA256 of the body under the webhook secret)");
        }

        var kind = http.Request.Headers[EventHeader].ToString();
        if (kind != "pull_request")
        {
            return Ignored($"event '{Validate.Truncate(kind)}' is not handled");
        }

        GitHubPullRequestEvent? payload;
        try
        {
            payload = JsonSerializer.Deserialize(body, GitHubWebhookJsonContext.Default.GitHubPullRequestEvent);
        }
        catch (JsonException)
        {
            return ApiResult.Error(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, "the pull_request event is not valid JSON");
        }

        if (payload?.Action != "closed")
        {
            return Ignored($"pull_request action '{Validate.Truncate(payload?.Action ?? "")}' is not handled");
        }

        if (payload.PullRequest?.HtmlUrl is not { Length: > 0 and <= 2000 } url || !Validate.IsStorable(url))
        {
            return ApiResult.Error(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, "pull_request.html_url is missing");
        }

        var merged = payload.PullRequest.Merged == true;
        var action = merged ? TaskAction.Complete : TaskAction.Cancel;
        var detail = (merged ? "pull request merged: " : "pull request closed without merging: ") + url;
        var store = http.RequestServices.GetRequiredService<IStorageEngine>();
        var clock = http.RequestServices.GetRequiredService<ServerClock>();
        var finished = await store.WriteAsync(async (tx, ct) =>
        {
            var now = clock.Now();
            var done = new List<string>();
            foreach (var (taskId, ownerId) in await PullRequestTaskRows.InReviewAsync(tx, Spellings(url), ct))
            {
                if (await PullRequestTaskRows.FinishAsync(tx, taskId, ownerId, action, detail, now, ct) is not null)
                {
                    done.Add(taskId);
                }
            }

            return done;
        }, http.RequestAborted);
        return ApiResult.Ok(new GitHubWebhookAnswer(merged ? "completed" : "cancelled", finished), GitHubWebhookJsonContext.Default.GitHubWebhookAnswer);
    }

    /// <summary>True when <paramref name="header"/> is <c>sha256=</c> and the hex HMAC-SHA256 of the body (constant-time compare).</summary>
    public static bool SignatureMatches(string secret, ReadOnlySpan<byte> body, string? header)
    {
        ArgumentNullException.ThrowIfNull(secret);
        const string prefix = "sha256=";
        if (header is null || !header.StartsWith(prefix, StringComparison.Ordinal) || header.Length != prefix.Length + 64)
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(header.AsSpan(prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>The pull request's URL as a task may carry it: as GitHub spells it, with a trailing slash, or ending in /files.</summary>
    private static string[] Spellings(string url)
    {
        var bare = url.TrimEnd('/');
        return [bare, bare + "/", bare + "/files"];
    }

    private static ApiResult Ignored(string why) =>
        ApiResult.Json(StatusCodes.Status202Accepted, new GitHubWebhookAnswer("ignored: " + why, []), GitHubWebhookJsonContext.Default.GitHubWebhookAnswer);

    /// <summary>The body, or null when it is larger than any request the server takes.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > RequestBody.HardLimitBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
