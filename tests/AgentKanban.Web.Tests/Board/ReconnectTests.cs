using System.Net;
using System.Net.Http.Headers;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;
using AgentKanban.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Board;

public sealed class ReconnectTests(WebFixture fixture) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private RestartableServer? _server;
    private IBrowserContext? _context;

    public async ValueTask InitializeAsync()
    {
        _server = await RestartableServer.StartAsync(Ct);
        _context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _server.BaseUrl });
    }

    public async ValueTask DisposeAsync()
    {
        if (_context is not null)
        {
            await _context.CloseAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task After_the_server_restarts_the_board_reconnects_and_catches_up_on_what_it_missed()
    {
        var server = _server!;
        using var admin = Client(server, server.AdminToken);
        var board = await Post(admin, "api/boards", new CreateBoardRequest("restarts", "ops"), ContractsJsonContext.Default.CreateBoardRequest, ContractsJsonContext.Default.BoardDto);
        var task = await Post(admin, "api/tasks", new CreateTaskRequest { BoardId = board.Id, Title = "survives a restart" },
            ContractsJsonContext.Default.CreateTaskRequest, ContractsJsonContext.Default.TaskDto);

        var page = await _context!.NewPageAsync();
        var streamRequests = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/events", StringComparison.Ordinal))
            {
                lock (streamRequests)
                {
                    streamRequests.Add(request.Url + " last-event-id=" + (request.Headers.TryGetValue("last-event-id", out var id) ? id : "none"));
                }
            }
        };
        await page.GotoAsync("/#/board/" + board.Id);
        await page.Locator("input[name=token]").FillAsync(server.AdminToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#columns")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.Locator($".column[data-status=todo] [data-task-id=\"{task.Id}\"]")).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.akNoReload = true; }");

        // While the browser cannot reach the stream, the server restarts and the task changes: only a resume from
        // Last-Event-ID (not a fresh "from now" stream) can bring that change to the page.
        await page.RouteAsync("**/api/boards/*/events*", route => route.AbortAsync());
        await server.StopAsync();
        await Expect(page.Locator("#connection")).ToBeVisibleAsync();
        await server.StartAgainAsync(Ct);
        var cancel = await admin.PostAsync($"api/tasks/{task.Id}/cancel", HttpJson.Json(new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest), Ct);
        await cancel.ExpectAsync(HttpStatusCode.OK, Ct);
        await page.UnrouteAllAsync();

        try
        {
            await Expect(page.Locator($".column[data-status=cancelled] [data-task-id=\"{task.Id}\"]")).ToBeVisibleAsync();
        }
        catch (PlaywrightException e)
        {
            lock (streamRequests)
            {
                throw new InvalidOperationException("stream requests: " + string.Join(" | ", streamRequests), e);
            }
        }
        await Expect(page.Locator("#connection")).ToBeHiddenAsync();
        await Expect(page.Locator($"[data-task-id=\"{task.Id}\"]")).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<bool>("() => window.akNoReload === true"));
    }

    private static HttpClient Client(RestartableServer server, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<TAnswer> Post<TBody, TAnswer>(HttpClient client, string path, TBody body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TBody> bodyInfo, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TAnswer> answerInfo) =>
        await (await client.PostJsonAsync(path, body, bodyInfo, Ct)).ReadAsync(HttpStatusCode.Created, answerInfo, Ct);
}
