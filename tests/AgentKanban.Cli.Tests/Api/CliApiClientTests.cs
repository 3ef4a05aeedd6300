using System.Net;
using System.Text;
using AgentKanban.Cli.Tests.Infrastructure;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Cli.Tests.Api;

/// <summary>How the CLI's client authenticates and what it says when the server refuses it (over a fake transport).</summary>
public sealed class CliApiClientTests : IDisposable
{
    private const string Server = "http://board.test:7420";
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private async Task<(int Exit, string Err, List<HttpRequestMessage> Sent)> RunAsync(
        Func<HttpRequestMessage, HttpResponseMessage> answer, Dictionary<string, string?> env, params string[] args)
    {
        env["HOME"] = _home.Path;
        env["XDG_CONFIG_HOME"] = _home.Combine(".config");
        env["AK_SERVER"] = Server;
        var sent = new List<HttpRequestMessage>();
        using var handler = new Answering(request =>
        {
            sent.Add(request);
            return answer(request);
        });
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var context = new CliContext(stdout, stderr, env, httpHandler: handler);
        var exit = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        return (exit, stderr.ToString(), sent);
    }

    private static HttpResponseMessage Answer(HttpStatusCode status, string body, string? reason = null) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json"), ReasonPhrase = reason };

    [Fact]
    public async Task A_refusal_without_any_token_says_where_a_token_comes_from()
    {
        var (exit, err, sent) = await RunAsync(
            _ => Answer(HttpStatusCode.Unauthorized, """{"error":{"code":"unauthorized","message":"authentication required"}}"""),
            [], "whoami");

        Assert.Equal(1, exit);
        Assert.Equal("error: authentication required: no token is configured (run `ak config set --token TOKEN`, `ak up`, or set AK_TOKEN)\n", err);
        Assert.Null(sent.Single().Headers.Authorization);
    }

    [Fact]
    public async Task A_refusal_not_from_the_server_points_at_the_token()
    {
        var (exit, err, sent) = await RunAsync(_ => Answer(HttpStatusCode.Unauthorized, "", "Unauthorized"), new() { ["AK_TOKEN"] = "akt_x" }, "whoami");

        Assert.Equal(1, exit);
        Assert.Equal("error: the server answered 401 Unauthorized: check the token (`ak config set --token …` or AK_TOKEN)\n", err);
        Assert.Equal("Bearer akt_x", sent.Single().Headers.Authorization?.ToString());
        Assert.StartsWith("ak/", sent.Single().Headers.UserAgent.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_servers_refusal_with_a_token_is_its_own_message()
    {
        var (exit, err, _) = await RunAsync(
            _ => Answer(HttpStatusCode.Unauthorized, """{"error":{"code":"unauthorized","message":"unknown token"}}"""),
            new() { ["AK_TOKEN"] = "akt_x" }, "whoami");

        Assert.Equal(1, exit);
        Assert.Equal("error: unknown token\n", err);
    }

    [Fact]
    public async Task An_agent_session_signs_its_requests_instead_of_using_the_token()
    {
        var (privateKey, _) = SessionToken.GenerateKeyPair();
        var (_, _, sent) = await RunAsync(
            _ => Answer(HttpStatusCode.Unauthorized, """{"error":{"code":"unauthorized","message":"no"}}"""),
            new() { ["AK_TOKEN"] = "akt_x", ["AK_SESSION_ID"] = "s-7", ["AK_SESSION_KEY"] = privateKey }, "whoami");

        Assert.True(SessionToken.TryReadSubject(sent.Single().Headers.Authorization?.Parameter, out var subject));
        Assert.Equal("s-7", subject);
    }

    [Fact]
    public async Task A_session_key_that_is_no_key_is_a_clear_failure()
    {
        var (exit, err, sent) = await RunAsync(_ => Answer(HttpStatusCode.OK, "{}"),
            new() { ["AK_SESSION_ID"] = "s-7", ["AK_SESSION_KEY"] = "not base64!" }, "whoami");

        Assert.Equal(1, exit);
        Assert.Equal("error: AK_SESSION_KEY is not a base64 PKCS#8 ECDSA P-256 private key\n", err);
        Assert.Empty(sent);
    }

    private sealed class Answering(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(answer(request));
    }
}
