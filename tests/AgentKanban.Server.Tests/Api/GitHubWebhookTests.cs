using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

/// <summary>
/// <c>POST /api/webhooks/github</c> on a real server started with a webhook secret: GitHub's signature (HMAC-SHA256 of the
/// body) decides, not a bearer token; a closed pull request finishes the tasks in review that carry its URL.
/// </summary>
public abstract class GitHubWebhookTests(ServerFixture fixture) : ServerTests(fixture)
{
    private const string Secret = "It's a Secret to Everybody";
    private const string Pulls = "https://github.com/acme/widgets/pull/";

    [Fact]
    public async Task A_signed_merged_event_completes_the_task_and_a_closed_one_cancels_its_task()
    {
        await using var server = await StartWithSecretAsync();
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var merged = await InReviewAsync(user, Pulls + "11");
        var closed = await InReviewAsync(user, Pulls + "12");
        var other = await InReviewAsync(user, Pulls + "13");

        var clock = Stopwatch.StartNew();
        using (var response = await PostAsync(server, "pull_request", ClosedEvent(Pulls + "11", merged: true), Secret))
        {
            var delivered = clock.Elapsed;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.Contains(merged, body, StringComparison.Ordinal);
            TestContext.Current.TestOutputHelper?.WriteLine($"[measure] webhook delivered → task done ({Server.Kind}): {delivered.TotalMilliseconds:0.0} ms (in the answer's transaction)");
            if (Environment.GetEnvironmentVariable("AK_MEASURE_LOG") is { Length: > 0 } log)
            {
                await File.AppendAllTextAsync(log, $"webhook delivered → task done ({Server.Kind}): {delivered.TotalMilliseconds:0.0} ms\n", Ct);
            }
        }

        var done = await user.GetTaskAsync(merged, Ct);
        Assert.Equal("done", done.Status);
        var completed = done.Activity!.Single(a => a.Action == "completed");
        Assert.Equal(("github", "webhook"), (completed.ActorType, completed.ActorId));
        Assert.Contains(Pulls + "11", completed.Detail, StringComparison.Ordinal);

        using (var response = await PostAsync(server, "pull_request", ClosedEvent(Pulls + "12", merged: false), Secret))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("cancelled", (await user.GetTaskAsync(closed, Ct)).Status);
        Assert.Equal("in_review", (await user.GetTaskAsync(other, Ct)).Status);

        // GitHub delivers again (a redelivery): nothing left in review for it, nothing changes, still 2xx.
        using (var again = await PostAsync(server, "pull_request", ClosedEvent(Pulls + "11", merged: true), Secret))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.DoesNotContain(merged, await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        Assert.Equal(1, (await user.GetTaskAsync(merged, Ct)).Activity!.Count(a => a.Action == "completed"));
    }

    [Fact]
    public async Task A_bad_or_missing_signature_is_401_and_changes_nothing()
    {
        await using var server = await StartWithSecretAsync();
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var task = await InReviewAsync(user, Pulls + "21");
        var payload = ClosedEvent(Pulls + "21", merged: true);

        using (var wrongSecret = await PostAsync(server, "pull_request", payload, "not the secret"))
        {
            await wrongSecret.ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
        }

        using (var unsigned = await PostAsync(server, "pull_request", payload, secret: null))
        {
            await unsigned.ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
        }

        // Signed for another body: the signature covers every byte.
        using (var tampered = await PostAsync(server, "pull_request", payload, Secret, signBody: ClosedEvent(Pulls + "99", merged: true)))
        {
            await tampered.ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
        }

        Assert.Equal("in_review", (await user.GetTaskAsync(task, Ct)).Status);
    }

    [Fact]
    public async Task Other_events_and_actions_are_accepted_and_ignored()
    {
        await using var server = await StartWithSecretAsync();
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var task = await InReviewAsync(user, Pulls + "31");

        using (var ping = await PostAsync(server, "ping", """{"zen":"Keep it logically awesome."}""", Secret))
        {
            Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
        }

        var reopened = ClosedEvent(Pulls + "31", merged: false).Replace("\"closed\"", "\"reopened\"", StringComparison.Ordinal);
        using (var other = await PostAsync(server, "pull_request", reopened, Secret))
        {
            Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        }

        Assert.Equal("in_review", (await user.GetTaskAsync(task, Ct)).Status);
    }

    [Fact]
    public async Task Without_a_secret_the_webhook_is_404()
    {
        using var response = await PostAsync(Server, "pull_request", ClosedEvent(Pulls + "41", merged: true), Secret);
        await response.ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
    }

    private Task<TestServer> StartWithSecretAsync() =>
        TestServer.StartAsync(Server.Kind, new TestServerOptions { GitHubWebhookSecret = Secret }, Ct);

    /// <summary>A task an agent worked on and sent to review with <paramref name="prUrl"/>.</summary>
    private static async Task<string> InReviewAsync(TestUser user, string prUrl)
    {
        var work = await user.StartWorkerAsync(Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "review", new TransitionRequest(PrUrl: prUrl));
        return work.Task.Id;
    }

    /// <summary>The parts of GitHub's <c>pull_request</c> "closed" payload the server reads, among others it ignores.</summary>
    private static string ClosedEvent(string url, bool merged) =>
        "{\"action\":\"closed\",\"number\":" + url[(url.LastIndexOf('/') + 1)..] + "," +
        "\"pull_request\":{\"url\":\"https://api.github.com/repos/acme/widgets/pulls/1\",\"html_url\":\"" + url + "\",\"state\":\"closed\"," +
        "\"merged\":" + (merged ? "true" : "false") + ",\"merged_at\":" + (merged ? "\"2025-01-02T03:04:05Z\"" : "null") + "}," +
        "\"repository\":{\"full_name\":\"acme/widgets\"},\"sender\":{\"login\":\"octocat\"}}";

    private static async Task<HttpResponseMessage> PostAsync(TestServer server, string kind, string body, string? secret, string? signBody = null)
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/github")
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("X-GitHub-Event", kind);
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        if (secret is not null)
        {
            var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(signBody ?? body));
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(mac));
        }

        return await client.SendAsync(request, Ct);
    }
}

public sealed class GitHubWebhookSqliteTests(SqliteServerFixture fixture) : GitHubWebhookTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class GitHubWebhookPostgresTests(PostgresServerFixture fixture) : GitHubWebhookTests(fixture), IClassFixture<PostgresServerFixture>;
