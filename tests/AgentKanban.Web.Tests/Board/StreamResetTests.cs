using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;
using AgentKanban.Server.Streams;
using AgentKanban.Server.Tests.Infrastructure;
using AgentKanban.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Board;

/// <summary>
/// A page (the board, a task) that was away while the changes it missed were pruned from the event log: the server
/// answers its reconnect with a reset, and the page reloads its snapshot in place (no page reload) and stays live.
/// </summary>
public sealed class StreamResetTests(WebFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly ShiftedClock _clock = new();
    private readonly List<string> _scriptErrors = [];
    private RestartableServer? _server;
    private IBrowserContext? _context;

    public async ValueTask InitializeAsync()
    {
        _server = await RestartableServer.StartAsync(Ct, _clock, Retention);
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
    public async Task After_a_reset_the_board_shows_what_it_missed_and_stays_live()
    {
        var server = _server!;
        using var admin = Client(server, server.AdminToken);
        var board = await Post(admin, "api/boards", new CreateBoardRequest("pruned", "ops"), ContractsJsonContext.Default.CreateBoardRequest, ContractsJsonContext.Default.BoardDto);
        var cancelled = await CreateTaskAsync(admin, board.Id, "cancelled while away");
        var deleted = await CreateTaskAsync(admin, board.Id, "deleted while away");

        var page = await SignedInPageAsync("/#/board/" + board.Id);
        await Expect(page.Locator("#columns")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(Card(page, "todo", cancelled.Id)).ToBeVisibleAsync();
        await Expect(Card(page, "todo", deleted.Id)).ToBeVisibleAsync();
        await page.EvaluateAsync("() => { window.akNoReload = true; }");

        // While the page cannot reach its stream, the server restarts (so no instance holds old events in memory), the
        // board changes, and those changes age past the retention and are pruned: a resume can no longer replay them.
        await page.RouteAsync("**/api/boards/*/events*", route => route.AbortAsync());
        await RestartAsync(page);
        var cancel = await admin.PostAsync($"api/tasks/{cancelled.Id}/cancel", HttpJson.Json(new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest), Ct);
        await cancel.ExpectAsync(HttpStatusCode.OK, Ct);
        var delete = await admin.DeleteAsync($"api/tasks/{deleted.Id}", Ct);
        Assert.True(delete.IsSuccessStatusCode, $"delete answered {(int)delete.StatusCode}");
        var created = await CreateTaskAsync(admin, board.Id, "created while away");
        await PruneEverythingAsync();
        await page.UnrouteAllAsync();

        await Expect(Card(page, "cancelled", cancelled.Id)).ToBeVisibleAsync();
        await Expect(page.Locator($"[data-task-id=\"{deleted.Id}\"]")).ToHaveCountAsync(0);
        await Expect(Card(page, "todo", created.Id)).ToBeVisibleAsync();
        await Expect(page.Locator("#connection")).ToBeHiddenAsync();
        await Expect(page.Locator(".column[data-status=todo] [data-count]")).ToHaveTextAsync("(1)");

        // The stream stayed open through the reset: the next change arrives live.
        var later = await CreateTaskAsync(admin, board.Id, "created after the reset");
        await Expect(Card(page, "todo", later.Id)).ToBeVisibleAsync();
        await Expect(page.Locator($"[data-task-id=\"{cancelled.Id}\"]")).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<bool>("() => window.akNoReload === true"));
        AssertNoScriptErrors();
    }

    [Fact]
    public async Task After_a_reset_the_task_page_shows_what_it_missed_and_stays_live()
    {
        var server = _server!;
        using var admin = Client(server, server.AdminToken);
        var board = await Post(admin, "api/boards", new CreateBoardRequest("pruned task", "ops"), ContractsJsonContext.Default.CreateBoardRequest, ContractsJsonContext.Default.BoardDto);
        var task = await CreateTaskAsync(admin, board.Id, "named before");

        var page = await SignedInPageAsync("/#/task/" + task.Id);
        await Expect(page.Locator("#task-view")).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.Locator("#task-title")).ToHaveTextAsync("named before");
        await page.EvaluateAsync("() => { window.akNoReload = true; }");

        await page.RouteAsync("**/api/tasks/*/events*", route => route.AbortAsync());
        await RestartAsync(page);
        var rename = await admin.PatchAsync($"api/tasks/{task.Id}",
            HttpJson.Json(new UpdateTaskRequest { Title = "renamed while away" }, ContractsJsonContext.Default.UpdateTaskRequest), Ct);
        await rename.ExpectAsync(HttpStatusCode.OK, Ct);
        var said = await admin.PostAsync($"api/tasks/{task.Id}/messages", HttpJson.Json(new MessageRequest("said while away"), ContractsJsonContext.Default.MessageRequest), Ct);
        await said.ExpectAsync(HttpStatusCode.Created, Ct);
        var cancel = await admin.PostAsync($"api/tasks/{task.Id}/cancel", HttpJson.Json(new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest), Ct);
        await cancel.ExpectAsync(HttpStatusCode.OK, Ct);
        await PruneEverythingAsync();
        await page.UnrouteAllAsync();

        await Expect(page.Locator("#task-title")).ToHaveTextAsync("renamed while away");
        await Expect(page.Locator("#task-meta [data-status]")).ToHaveAttributeAsync("data-status", "cancelled");
        await Expect(page.Locator("#chat-log li")).ToHaveCountAsync(1);
        await Expect(page.Locator("#chat-log")).ToContainTextAsync("said while away");
        await Expect(page.Locator("#activity-log li[data-action=cancelled]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#connection")).ToBeHiddenAsync();

        // The stream stayed open through the reset: the next message arrives live, once.
        var later = await admin.PostAsync($"api/tasks/{task.Id}/messages", HttpJson.Json(new MessageRequest("said after the reset"), ContractsJsonContext.Default.MessageRequest), Ct);
        await later.ExpectAsync(HttpStatusCode.Created, Ct);
        await Expect(page.Locator("#chat-log li")).ToHaveCountAsync(2);
        await Expect(page.Locator("#chat-log li").Last).ToContainTextAsync("said after the reset");
        Assert.True(await page.EvaluateAsync<bool>("() => window.akNoReload === true"));
        AssertNoScriptErrors();
    }

    private async Task<IPage> SignedInPageAsync(string path)
    {
        var page = await _context!.NewPageAsync();
        page.PageError += (_, error) =>
        {
            lock (_scriptErrors)
            {
                _scriptErrors.Add(error);
            }
        };
        await page.GotoAsync(path);
        await page.Locator("input[name=token]").FillAsync(_server!.AdminToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        return page;
    }

    /// <summary>
    /// Restarts the server while the page's stream is blocked: the restarted server holds no old event in memory, so
    /// after the pruning nothing anywhere could replay what the page missed.
    /// </summary>
    private async Task RestartAsync(IPage page)
    {
        await _server!.StopAsync();
        await Expect(page.Locator("#connection")).ToBeVisibleAsync();
        await _server.StartAgainAsync(Ct);
    }

    /// <summary>Ages every event past the retention and prunes them: the log keeps nothing the page has not seen.</summary>
    private async Task PruneEverythingAsync()
    {
        _clock.Advance(Retention + TimeSpan.FromMinutes(5));
        Assert.True(await _server!.Services.GetRequiredService<EventRetention>().PruneOnceAsync(Ct) > 0);
    }

    private void AssertNoScriptErrors()
    {
        lock (_scriptErrors)
        {
            Assert.Empty(_scriptErrors);
        }
    }

    private static ILocator Card(IPage page, string status, string taskId) =>
        page.Locator($".column[data-status={status}] [data-task-id=\"{taskId}\"]");

    private static Task<TaskDto> CreateTaskAsync(HttpClient admin, string boardId, string title) =>
        Post(admin, "api/tasks", new CreateTaskRequest { BoardId = boardId, Title = title },
            ContractsJsonContext.Default.CreateTaskRequest, ContractsJsonContext.Default.TaskDto);

    private static HttpClient Client(RestartableServer server, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(server.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<TAnswer> Post<TBody, TAnswer>(HttpClient client, string path, TBody body, JsonTypeInfo<TBody> bodyInfo, JsonTypeInfo<TAnswer> answerInfo) =>
        await (await client.PostJsonAsync(path, body, bodyInfo, Ct)).ReadAsync(HttpStatusCode.Created, answerInfo, Ct);
}
