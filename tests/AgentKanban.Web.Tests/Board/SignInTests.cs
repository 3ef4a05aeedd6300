using System.Net;
using AgentKanban.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Board;

public sealed class SignInTests(WebFixture fixture) : WebTests(fixture)
{
    [Fact]
    public async Task Signing_in_with_a_personal_token_shows_the_five_columns_and_sets_a_strict_http_only_cookie()
    {
        var board = await User.CreateBoardAsync(cancellationToken: Ct);
        await Page.GotoAsync("/");
        await Expect(Page.Locator("#board-view")).ToBeHiddenAsync();
        await Expect(Page.Locator("#main-nav")).ToBeHiddenAsync();
        await Expect(Page.Locator("#sign-out")).ToBeHiddenAsync();

        await SignInAsync();
        // One board: no picker.
        await Expect(Page.Locator("#board-picker-wrap")).ToBeHiddenAsync();

        await Expect(Page.Locator("#board-heading")).ToHaveTextAsync(board.Name);
        foreach (var status in new[] { "todo", "in_progress", "in_review", "done", "cancelled" })
        {
            await Expect(Column(status)).ToBeVisibleAsync();
        }

        var cookie = Assert.Single(await Context.CookiesAsync(), c => c.Name == "ak_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(User.Token, cookie.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_with_a_message()
    {
        await Page.GotoAsync("/");
        await Page.Locator("input[name=token]").FillAsync("akp_not-a-real-token");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await Expect(Page.Locator("#sign-in-error")).ToContainTextAsync("token");
        await Expect(Page.Locator("#board-view")).ToBeHiddenAsync();
        Assert.DoesNotContain(await Context.CookiesAsync(), c => c.Name == "ak_session");
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        await User.CreateBoardAsync(cancellationToken: Ct);
        await SignInAsync();
        var before = await Page.APIRequest.GetAsync("/api/whoami");
        Assert.Equal((int)HttpStatusCode.OK, before.Status);

        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();

        await Expect(Page.Locator("input[name=token]")).ToBeVisibleAsync();
        Assert.DoesNotContain(await Context.CookiesAsync(), c => c.Name == "ak_session");
        var after = await Page.APIRequest.GetAsync("/api/whoami");
        Assert.Equal((int)HttpStatusCode.Unauthorized, after.Status);
    }

    [Fact]
    public async Task The_theme_is_dark_by_default_and_the_choice_is_remembered()
    {
        await User.CreateBoardAsync(cancellationToken: Ct);
        await SignInAsync();
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");

        await Page.Locator("#theme-toggle").ClickAsync();
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
        await Expect(Page.Locator("#theme-toggle")).ToHaveAttributeAsync("aria-pressed", "true");

        await Page.ReloadAsync();
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
    }
}
