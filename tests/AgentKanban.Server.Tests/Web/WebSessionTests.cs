using System.Net;
using System.Net.Http.Headers;
using AgentKanban.Contracts;
using AgentKanban.Server.Data;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Web;

/// <summary>
/// The web board's browser session: sign-in with a personal token → HttpOnly SameSite=Strict cookie (stored hashed),
/// the cookie authenticates /api and the live streams, its state-changing requests need the CSRF header and a
/// same-origin Origin, sign-out ends it.
/// </summary>
public abstract class WebSessionTests(ServerFixture fixture) : ServerTests(fixture)
{
    private const string CsrfHeader = "X-AK-Request";

    [Fact]
    public async Task Sign_in_sets_a_strict_http_only_cookie_that_authenticates_api_calls()
    {
        var user = await NewUserAsync();
        using var browser = Browser();

        var response = await SignInAsync(browser, user.Token);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("ak_session=", setCookie, StringComparison.Ordinal);
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
        var cookie = CookieValue(setCookie);
        Assert.DoesNotContain(user.Token, cookie, StringComparison.Ordinal);

        var me = await (await SendAsync(browser, HttpMethod.Get, "api/whoami", cookie)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.WhoAmIDto, Ct);
        Assert.Equal(("user", user.User.Id), (me.Kind, me.Id));
    }

    [Fact]
    public async Task The_cookie_opens_the_live_streams_without_a_token_in_the_url()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        using var browser = Browser();
        var cookie = CookieValue(Assert.Single((await SignInAsync(browser, user.Token)).Headers.GetValues("Set-Cookie")));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/boards/{board.Id}/events");
        request.Headers.Add("Cookie", "ak_session=" + cookie);
        using var response = await browser.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Only_the_hash_of_the_session_id_is_stored()
    {
        var user = await NewUserAsync();
        using var browser = Browser();
        var cookie = CookieValue(Assert.Single((await SignInAsync(browser, user.Token)).Headers.GetValues("Set-Cookie")));

        var stored = await Server.Storage.ReadAsync(async (db, ct) =>
        {
            await using var command = db.Command("SELECT id_hash FROM web_sessions WHERE user_id = @u").Add("@u", user.User.Id);
            var hashes = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                hashes.Add(reader.GetString(0));
            }

            return hashes;
        }, Ct);

        Assert.Equal([Ids.Hash(cookie)], stored);
        Assert.DoesNotContain(cookie, stored);
    }

    [Fact]
    public async Task Bad_tokens_are_refused_and_set_no_cookie()
    {
        var user = await NewUserAsync();
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        using var browser = Browser();

        foreach (var token in new[] { "akp_not-a-real-token", machine.ApiKey, "", "garbage" })
        {
            var response = await SignInAsync(browser, token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"), $"a cookie was set for '{token}'");
        }

        // A plain form post (no script) is sent back to the page with the failure named.
        var plain = await SignInAsync(browser, "akp_not-a-real-token", scripted: false);
        Assert.Equal(HttpStatusCode.SeeOther, plain.StatusCode);
        Assert.Equal("/?sign-in=failed", plain.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task A_plain_form_post_signs_in_and_redirects_to_the_board()
    {
        var user = await NewUserAsync();
        using var browser = Browser();

        var response = await SignInAsync(browser, user.Token, scripted: false, origin: Server.BaseUrl);

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        Assert.StartsWith("ak_session=", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_from_another_site_is_refused()
    {
        var user = await NewUserAsync();
        using var browser = Browser();

        var response = await SignInAsync(browser, user.Token, origin: "https://evil.example");

        await response.ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Cookie_mutations_need_the_csrf_header_and_a_same_origin()
    {
        var user = await NewUserAsync();
        using var browser = Browser();
        var cookie = CookieValue(Assert.Single((await SignInAsync(browser, user.Token)).Headers.GetValues("Set-Cookie")));
        var body = new CreateBoardRequest("from-the-browser", "ops");

        var noHeader = await SendAsync(browser, HttpMethod.Post, "api/boards", cookie, Json(body));
        await noHeader.ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);

        var foreignOrigin = await SendAsync(browser, HttpMethod.Post, "api/boards", cookie, Json(body), csrf: true, origin: "https://evil.example");
        await foreignOrigin.ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);

        var boards = await (await user.Client.GetAsync("api/boards", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListBoardDto, Ct);
        Assert.Empty(boards);

        var allowed = await SendAsync(browser, HttpMethod.Post, "api/boards", cookie, Json(body), csrf: true, origin: Server.BaseUrl);
        var created = await allowed.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, Ct);
        Assert.Equal("from-the-browser", created.Name);

        // Reads need neither: a cross-site page cannot read the answer anyway.
        await (await SendAsync(browser, HttpMethod.Get, "api/boards", cookie)).ExpectAsync(HttpStatusCode.OK, Ct);
    }

    [Fact]
    public async Task Bearer_tokens_still_win_over_a_cookie_and_need_no_csrf_header()
    {
        var user = await NewUserAsync();
        var other = await NewUserAsync();
        using var browser = Browser();
        var cookie = CookieValue(Assert.Single((await SignInAsync(browser, other.Token)).Headers.GetValues("Set-Cookie")));

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/boards") { Content = Json(new CreateBoardRequest("by-bearer", "ops")) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.Token);
        request.Headers.Add("Cookie", "ak_session=" + cookie);
        var created = await (await browser.SendAsync(request, Ct)).ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.BoardDto, Ct);

        var mine = await (await user.Client.GetAsync("api/boards", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListBoardDto, Ct);
        Assert.Contains(mine, b => b.Id == created.Id);
    }

    [Fact]
    public async Task Sign_out_ends_the_session_and_clears_the_cookie()
    {
        var user = await NewUserAsync();
        using var browser = Browser();
        var cookie = CookieValue(Assert.Single((await SignInAsync(browser, user.Token)).Headers.GetValues("Set-Cookie")));

        // Another site cannot sign the user out.
        var forged = await SendAsync(browser, HttpMethod.Post, "web/sign-out", cookie, origin: "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, forged.StatusCode);
        await (await SendAsync(browser, HttpMethod.Get, "api/whoami", cookie)).ExpectAsync(HttpStatusCode.OK, Ct);

        var signOut = await SendAsync(browser, HttpMethod.Post, "web/sign-out", cookie, csrf: true);
        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        var cleared = Assert.Single(signOut.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("ak_session=;", cleared, StringComparison.Ordinal);

        await (await SendAsync(browser, HttpMethod.Get, "api/whoami", cookie)).ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
    }

    [Fact]
    public async Task An_expired_or_unknown_cookie_is_refused()
    {
        using var browser = Browser();
        await (await SendAsync(browser, HttpMethod.Get, "api/whoami", "aks_unknown")).ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);

        var user = await NewUserAsync();
        var cookie = CookieValue(Assert.Single((await SignInAsync(browser, user.Token)).Headers.GetValues("Set-Cookie")));
        await Server.Storage.WriteAsync((tx, ct) => tx.Command("UPDATE web_sessions SET expires_at = @past WHERE id_hash = @h")
            .Add("@past", Server.Time.GetUtcNow().AddMinutes(-1)).Add("@h", Ids.Hash(cookie)).ExecAsync(ct), Ct);

        await (await SendAsync(browser, HttpMethod.Get, "api/whoami", cookie)).ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
    }

    /// <summary>A client that keeps no cookies and follows no redirects: each test sets exactly what a browser would send.</summary>
    private HttpClient Browser() =>
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient browser, string token, bool scripted = true, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "web/sign-in")
        {
            Content = new FormUrlEncodedContent([new KeyValuePair<string, string>("token", token)]),
        };
        if (scripted)
        {
            request.Headers.Add(CsrfHeader, "web");
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await browser.SendAsync(request, Ct);
    }

    private static async Task<HttpResponseMessage> SendAsync(
        HttpClient browser, HttpMethod method, string path, string cookie, HttpContent? content = null, bool csrf = false, string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("Cookie", "ak_session=" + cookie);
        if (csrf)
        {
            request.Headers.Add(CsrfHeader, "web");
        }

        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await browser.SendAsync(request, Ct);
    }

    private static StringContent Json(CreateBoardRequest body) => HttpJson.Json(body, ContractsJsonContext.Default.CreateBoardRequest);

    private static string CookieValue(string setCookie) => setCookie["ak_session=".Length..setCookie.IndexOf(';', StringComparison.Ordinal)];
}

public sealed class WebSessionSqliteTests(SqliteServerFixture fixture) : WebSessionTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class WebSessionPostgresTests(PostgresServerFixture fixture) : WebSessionTests(fixture), IClassFixture<PostgresServerFixture>;
