using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(AgentKanban.Web.Tests.Infrastructure.WebFixture))]

namespace AgentKanban.Web.Tests.Infrastructure;

/// <summary>
/// One real board server (SQLite in a temp dir, on 127.0.0.1) and one headless Debian Chromium driven by
/// Playwright, shared by every test. Each test gets its own user (its own tenant) and browser context (own cookies).
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private TestServer? _server;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the fixture is not initialised");

    public TestServer Server => _server ?? throw new InvalidOperationException("the fixture is not initialised");

    public async ValueTask InitializeAsync()
    {
        var executable = Chromium.Find();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true });
        _server = await TestServer.StartAsync(DatabaseKind.Sqlite, cancellationToken: TestContext.Current.CancellationToken);
        // The shared machine is slow at times; waiting longer never hides a wrong answer, it only avoids a false one.
        Assertions.SetDefaultExpectTimeout(15_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
