using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;
using AgentKanban.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Board;

public sealed class BoardTests(WebFixture fixture) : WebTests(fixture)
{
    [Fact]
    public async Task A_task_created_on_the_page_appears_as_a_card_in_todo_and_exists_in_the_api()
    {
        var board = await User.CreateBoardAsync(cancellationToken: Ct);
        await User.AddLabelAsync(board.Id, "ui", cancellationToken: Ct);
        var agent = await User.CreateAgentAsync(cancellationToken: Ct);
        await SignInAsync();
        await BoardReadyAsync();

        await Page.Locator("#create-task summary").ClickAsync();
        var form = Page.Locator("#create-task-form");
        await form.GetByLabel("Title").FillAsync("Write the release notes");
        await form.GetByLabel("Description").FillAsync("Summarise the changes since 0.1");
        await form.GetByLabel("Assign to").SelectOptionAsync(agent.Id);
        await form.GetByLabel("Labels (comma separated)").FillAsync("ui");
        await form.GetByRole(AriaRole.Button, new() { Name = "Create task" }).ClickAsync();

        var card = Column("todo").Locator("[data-task-id]", new() { HasText = "Write the release notes" });
        await Expect(card).ToHaveCountAsync(1);
        await Expect(card).ToContainTextAsync(agent.Username);
        await Expect(card).ToContainTextAsync("ui");
        var id = await card.GetAttributeAsync("data-task-id");

        var response = await User.Client.GetAsync($"api/tasks/{id}", Ct);
        var task = await response.ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
        Assert.Equal(("Write the release notes", "todo", agent.Id, board.Id), (task.Title, task.Status, task.AssignedTo, task.BoardId));
        Assert.Equal(["ui"], task.Labels);
    }

    [Fact]
    public async Task A_card_moves_between_columns_live_as_the_api_changes_the_task()
    {
        var work = await User.StartWorkerAsync(Ct);
        await SignInAsync("#/board/" + work.Board.Id);
        await BoardReadyAsync();
        await Expect(CardIn("todo", work.Task.Id)).ToBeVisibleAsync();
        await Page.EvaluateAsync("() => { window.akNoReload = true; }");

        await TransitionAsync(work.Session.Client, work.Task.Id, "claim");
        await Expect(CardIn("in_progress", work.Task.Id)).ToBeVisibleAsync();

        await TransitionAsync(work.Session.Client, work.Task.Id, "review", new TransitionRequest(PrUrl: "https://example.com/pr/1"));
        await Expect(CardIn("in_review", work.Task.Id)).ToBeVisibleAsync();

        await TransitionAsync(User.Client, work.Task.Id, "complete");
        await Expect(CardIn("done", work.Task.Id)).ToBeVisibleAsync();
        // Moved, not copied: exactly one card for the task, and the page never reloaded (the marker survives).
        await Expect(Card(work.Task.Id)).ToHaveCountAsync(1);
        await Expect(Column("in_progress").Locator("[data-count]")).ToHaveTextAsync("(0)");
        Assert.True(await Page.EvaluateAsync<bool>("() => window.akNoReload === true"));
    }

    [Fact]
    public async Task A_card_shows_labels_assignee_runtime_age_and_why_a_waiting_task_is_not_running()
    {
        var board = await User.CreateBoardAsync(cancellationToken: Ct);
        await User.AddLabelAsync(board.Id, "backend", cancellationToken: Ct);
        var agent = await User.CreateAgentAsync(runtime: "codex", cancellationToken: Ct);
        var blocker = await User.CreateTaskAsync(board.Id, title: "prerequisite", cancellationToken: Ct);
        var task = await User.CreateTaskAsync(new CreateTaskRequest
        {
            BoardId = board.Id, Title = "depends on another", AssignedTo = agent.Id, Labels = ["backend"], DependsOn = [blocker.Id],
            ScheduledAt = Now.AddHours(3),
        }, Ct);
        await SignInAsync("#/board/" + board.Id);
        await BoardReadyAsync();

        var card = CardIn("todo", task.Id);
        await Expect(card).ToContainTextAsync("backend");
        await Expect(card).ToContainTextAsync(agent.Username);
        await Expect(card).ToContainTextAsync("codex");
        await Expect(card.Locator(".badge.blocked")).ToBeVisibleAsync();
        await Expect(card.Locator(".badge.scheduled")).ToContainTextAsync(Text(@"in 2h 5\dm|in 3h 00m"));
        await Expect(card.Locator(".age")).ToHaveTextAsync(Text(@"^\d+ s$"));
        await Expect(card.Locator(".why")).ToContainTextAsync("dependencies");
        await Expect(card).Not.ToContainTextAsync("null");
        await Expect(card).Not.ToContainTextAsync("undefined");

        // The daemon's own reason wins once it reported one.
        var machine = await User.RegisterMachineAsync(cancellationToken: Ct);
        var why = await machine.Client.PutJsonAsync($"api/tasks/{blocker.Id}/why", new WhyRequest("runtime claude missing on this machine"),
            ContractsJsonContext.Default.WhyRequest, Ct);
        Assert.True(why.IsSuccessStatusCode, await why.Content.ReadAsStringAsync(Ct));
        await Expect(CardIn("todo", blocker.Id).Locator(".why")).ToContainTextAsync("runtime claude missing on this machine");
    }

    [Fact]
    public async Task A_task_for_an_agent_created_after_the_page_loaded_shows_the_agents_name()
    {
        var board = await User.CreateBoardAsync(cancellationToken: Ct);
        await SignInAsync("#/board/" + board.Id);
        await BoardReadyAsync();

        var agent = await User.CreateAgentAsync(runtime: "gemini", cancellationToken: Ct);
        var task = await User.CreateTaskAsync(board.Id, agent.Id, "for the newcomer", Ct);

        await Expect(CardIn("todo", task.Id).Locator(".assignee")).ToHaveTextAsync($"{agent.Username} · gemini");
    }

    [Fact]
    public async Task Filters_show_only_the_matching_cards()
    {
        var board = await User.CreateBoardAsync(cancellationToken: Ct);
        await User.AddLabelAsync(board.Id, "red", cancellationToken: Ct);
        await User.AddLabelAsync(board.Id, "blue", cancellationToken: Ct);
        var alice = await User.CreateAgentAsync(cancellationToken: Ct);
        var red = await User.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "red one", Labels = ["red"], AssignedTo = alice.Id }, Ct);
        var blue = await User.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "blue one", Labels = ["blue"] }, Ct);
        await SignInAsync("#/board/" + board.Id);
        await BoardReadyAsync();
        await Expect(Column("todo").Locator("[data-count]")).ToHaveTextAsync("(2)");

        await Page.GetByLabel("Label", new() { Exact = true }).SelectOptionAsync("blue");
        await Expect(Card(blue.Id)).ToBeVisibleAsync();
        await Expect(Card(red.Id)).ToBeHiddenAsync();
        await Expect(Column("todo").Locator("[data-count]")).ToHaveTextAsync("(1)");

        await Page.GetByLabel("Label", new() { Exact = true }).SelectOptionAsync("");
        await Page.GetByLabel("Assignee").SelectOptionAsync(alice.Id);
        await Expect(Card(red.Id)).ToBeVisibleAsync();
        await Expect(Card(blue.Id)).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_board_picker_switches_between_boards()
    {
        var first = await User.CreateBoardAsync("alpha-" + Guid.NewGuid().ToString("N")[..6], cancellationToken: Ct);
        var second = await User.CreateBoardAsync("beta-" + Guid.NewGuid().ToString("N")[..6], cancellationToken: Ct);
        var onSecond = await User.CreateTaskAsync(second.Id, title: "lives on the second board", cancellationToken: Ct);
        await SignInAsync("#/board/" + first.Id);
        await BoardReadyAsync();
        await Expect(Card(onSecond.Id)).ToHaveCountAsync(0);

        await Page.GetByLabel("Board", new() { Exact = true }).SelectOptionAsync(second.Id);

        await Expect(Page.Locator("#board-heading")).ToHaveTextAsync(second.Name);
        await Expect(CardIn("todo", onSecond.Id)).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Without_a_board_in_the_address_a_fresh_browser_shows_the_newest_board()
    {
        await User.CreateBoardAsync("older-" + Guid.NewGuid().ToString("N")[..6], cancellationToken: Ct);
        var newest = await User.CreateBoardAsync("newer-" + Guid.NewGuid().ToString("N")[..6], cancellationToken: Ct);
        var task = await User.CreateTaskAsync(newest.Id, title: "on the newest board", cancellationToken: Ct);

        await SignInAsync();
        await BoardReadyAsync();

        await Expect(Page.Locator("#board-heading")).ToHaveTextAsync(newest.Name);
        await Expect(CardIn("todo", task.Id)).ToBeVisibleAsync();
    }

    private static async Task TransitionAsync(HttpClient client, string taskId, string verb, TransitionRequest? body = null)
    {
        var response = await client.PostJsonAsync($"api/tasks/{taskId}/{verb}", body ?? new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{verb}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }
}
