using System.Text.RegularExpressions;
using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace AgentKanban.Web.Tests.Infrastructure;

/// <summary>
/// Base of the browser tests: a fresh user of the shared server, a fresh browser context and page, and helpers to
/// sign in and find columns and cards. Uncaught script errors on the page fail the test.
/// </summary>
public abstract class WebTests(WebFixture fixture) : IAsyncLifetime
{
    private readonly List<string> _scriptErrors = [];
    private IBrowserContext? _context;
    private IPage? _page;
    private TestUser? _user;

    protected TestServer Server => fixture.Server;

    protected IBrowserContext Context => _context ?? throw new InvalidOperationException("not initialised");

    protected IPage Page => _page ?? throw new InvalidOperationException("not initialised");

    protected TestUser User => _user ?? throw new InvalidOperationException("not initialised");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The server's clock (the system clock: the browser's countdowns run on real time).</summary>
    protected DateTimeOffset Now => Server.Time.GetUtcNow();

    public async ValueTask InitializeAsync()
    {
        _user = await Server.CreateUserAsync(cancellationToken: Ct);
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.BaseUrl });
        _page = await _context.NewPageAsync();
        _page.PageError += (_, error) =>
        {
            lock (_scriptErrors)
            {
                _scriptErrors.Add(error);
            }
        };
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.CloseAsync();
        }

        GC.SuppressFinalize(this);
        lock (_scriptErrors)
        {
            Assert.True(_scriptErrors.Count == 0, "uncaught script errors on the page:\n" + string.Join("\n", _scriptErrors));
        }
    }

    /// <summary>Opens the page at <paramref name="hash"/> and signs in through the form with the user's personal token.</summary>
    protected async Task SignInAsync(string hash = "")
    {
        await Page.GotoAsync("/" + hash);
        await Page.Locator("input[name=token]").FillAsync(User.Token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(Page.Locator("#main-nav")).ToBeVisibleAsync();
    }

    protected ILocator Column(string status) => Page.Locator($".column[data-status=\"{status}\"]");

    protected ILocator Card(string taskId) => Page.Locator($"[data-task-id=\"{taskId}\"]");

    protected ILocator CardIn(string status, string taskId) => Column(status).Locator($"[data-task-id=\"{taskId}\"]");

    /// <summary>Waits until the board has drawn its snapshot (the stream is open by then).</summary>
    protected Task BoardReadyAsync() => Assertions.Expect(Page.Locator("#columns")).ToHaveAttributeAsync("data-ready", "true");

    protected Task TaskReadyAsync() => Assertions.Expect(Page.Locator("#task-view")).ToHaveAttributeAsync("data-ready", "true");

    protected static Regex Text(string pattern) => new(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
}
