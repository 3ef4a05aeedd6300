using System.Net;
using System.Net.Http.Headers;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Web;

/// <summary>The board page and its files, served from the server assembly with validators and safe headers.</summary>
public sealed class WebAssetsTests(SqliteServerFixture fixture) : ServerTests(fixture), IClassFixture<SqliteServerFixture>
{
    [Fact]
    public async Task The_root_serves_the_board_page_with_the_sign_in_form_and_the_columns()
    {
        var response = await Server.CreateClient().GetAsync("/", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("name=\"token\"", html, StringComparison.Ordinal);
        foreach (var status in new[] { "todo", "in_progress", "in_review", "done", "cancelled" })
        {
            Assert.Contains($"data-status=\"{status}\"", html, StringComparison.Ordinal);
        }

        // Nothing is loaded from another origin: the page works offline.
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Assets_carry_an_etag_and_answer_304_when_unchanged()
    {
        var client = Server.CreateClient();
        var first = await client.GetAsync("assets/app.js", Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("text/javascript", first.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-cache", first.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        var etag = first.Headers.ETag ?? throw new InvalidOperationException("no ETag");
        Assert.False(etag.IsWeak);

        using var again = new HttpRequestMessage(HttpMethod.Get, "assets/app.js");
        again.Headers.IfNoneMatch.Add(etag);
        var second = await client.SendAsync(again, Ct);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync(Ct));

        using var stale = new HttpRequestMessage(HttpMethod.Get, "assets/app.js");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(stale, Ct)).StatusCode);
    }

    [Fact]
    public async Task Every_embedded_file_is_served_and_unknown_ones_are_404()
    {
        var client = Server.CreateClient();
        foreach (var name in new[] { "app.css", "theme.js", "api.js", "dom.js", "lookups.js", "card.js", "board.js", "detail.js", "agentstream.js", "machines.js" })
        {
            var response = await client.GetAsync("assets/" + name, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("assets/nope.js", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("assets/index.html", Ct)).StatusCode);
    }
}
