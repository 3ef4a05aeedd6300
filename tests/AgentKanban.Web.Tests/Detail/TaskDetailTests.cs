using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;
using AgentKanban.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Detail;

public sealed class TaskDetailTests(WebFixture fixture) : WebTests(fixture)
{
    [Fact]
    public async Task Opening_a_card_shows_the_detail_and_chat_works_both_ways()
    {
        var work = await User.StartWorkerAsync(Ct);
        var patched = await User.Client.PatchJsonAsync($"api/tasks/{work.Task.Id}",
            new UpdateTaskRequest { Description = "Fix the flaky login test" }, ContractsJsonContext.Default.UpdateTaskRequest, Ct);
        await patched.ExpectAsync(HttpStatusCode.OK, Ct);
        await SignInAsync("#/board/" + work.Board.Id);
        await BoardReadyAsync();

        await Card(work.Task.Id).GetByRole(AriaRole.Link).ClickAsync();
        await TaskReadyAsync();
        await Expect(Page.Locator("#task-title")).ToHaveTextAsync(work.Task.Title);
        await Expect(Page.Locator("#task-description")).ToHaveTextAsync("Fix the flaky login test");
        await Expect(Page.Locator("#activity-log")).ToContainTextAsync("created");

        await Page.GetByLabel("Message", new() { Exact = true }).FillAsync("Please also update the changelog");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(Page.Locator("#chat-log li[data-sender=user]")).ToContainTextAsync("Please also update the changelog");
        var stored = await User.GetTaskAsync(work.Task.Id, Ct);
        Assert.Contains(stored.Messages!, m => m.Content == "Please also update the changelog" && m.SenderType == "user");

        // The agent answers through the API: the message arrives live, shown as the agent's.
        var reply = await work.Session.Client.PostJsonAsync($"api/tasks/{work.Task.Id}/messages", new MessageRequest("Will do."),
            ContractsJsonContext.Default.MessageRequest, Ct);
        await reply.ExpectAsync(HttpStatusCode.Created, Ct);
        var agentMessage = Page.Locator("#chat-log li[data-sender=agent]");
        await Expect(agentMessage).ToContainTextAsync("Will do.");
        await Expect(agentMessage).ToContainTextAsync(work.Agent.Username);
        await Expect(Page.Locator("#chat-log li")).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task A_click_anywhere_on_a_card_opens_the_task_and_the_title_stays_its_one_keyboard_stop()
    {
        var work = await User.StartWorkerAsync(Ct);
        await SignInAsync("#/board/" + work.Board.Id);
        await BoardReadyAsync();
        var card = Card(work.Task.Id);

        // Not the title: the card's lower right corner, where only its meta line and padding are.
        var box = (await card.BoundingBoxAsync())!;
        await Page.Mouse.ClickAsync(box.X + box.Width - 4, box.Y + box.Height - 4);
        await TaskReadyAsync();
        Assert.EndsWith("#/task/" + work.Task.Id, Page.Url, StringComparison.Ordinal);
        await Expect(Page.Locator("#task-title")).ToHaveTextAsync(work.Task.Title);

        // Still one focusable element per card, the title's link.
        await Page.GoBackAsync();
        await BoardReadyAsync();
        await Expect(Card(work.Task.Id).Locator("a, button, [tabindex]")).ToHaveCountAsync(1);
        await Expect(Card(work.Task.Id).GetByRole(AriaRole.Link)).ToHaveTextAsync(work.Task.Title);
    }

    [Fact]
    public async Task Rejecting_with_a_reason_sends_the_task_back_to_in_progress()
    {
        var work = await User.StartWorkerAsync(Ct);
        await Transition(work.Session.Client, work.Task.Id, "claim");
        await Transition(work.Session.Client, work.Task.Id, "review", new TransitionRequest(PrUrl: "https://example.com/acme/pull/7"));
        await SignInAsync("#/task/" + work.Task.Id);
        await TaskReadyAsync();
        await Expect(Page.Locator("#task-meta [data-status]")).ToHaveAttributeAsync("data-status", "in_review");
        await Expect(Page.GetByRole(AriaRole.Link, new() { Name = "https://example.com/acme/pull/7" })).ToBeVisibleAsync();

        await Page.GetByLabel("Reason for rejecting").FillAsync("The test still fails on PostgreSQL");
        await Page.GetByRole(AriaRole.Button, new() { Name = "Reject" }).ClickAsync();

        await Expect(Page.Locator("#task-meta [data-status]")).ToHaveAttributeAsync("data-status", "in_progress");
        await Expect(Page.Locator("#activity-log li[data-action=rejected]")).ToContainTextAsync("The test still fails on PostgreSQL");
        var stored = await User.GetTaskAsync(work.Task.Id, Ct);
        Assert.Equal("in_progress", stored.Status);
        Assert.Contains(stored.Activity!, a => a.Action == "rejected" && a.Detail == "The test still fails on PostgreSQL");
    }

    [Fact]
    public async Task Complete_and_cancel_buttons_follow_the_state_and_act()
    {
        var work = await User.StartWorkerAsync(Ct);
        await Transition(work.Session.Client, work.Task.Id, "claim");
        await SignInAsync("#/task/" + work.Task.Id);
        await TaskReadyAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Complete" })).ToBeDisabledAsync();
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Release" })).ToBeEnabledAsync();

        await Transition(work.Session.Client, work.Task.Id, "review");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Complete" })).ToBeEnabledAsync();
        await Page.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();

        await Expect(Page.Locator("#task-meta [data-status]")).ToHaveAttributeAsync("data-status", "done");
        Assert.Equal("done", (await User.GetTaskAsync(work.Task.Id, Ct)).Status);
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Cancel task" })).ToBeDisabledAsync();
    }

    [Fact]
    public async Task Dependencies_show_their_titles_and_lead_to_their_page()
    {
        var board = await User.CreateBoardAsync(cancellationToken: Ct);
        var blocker = await User.CreateTaskAsync(board.Id, title: "Migrate the schema first", cancellationToken: Ct);
        var task = await User.CreateTaskAsync(new CreateTaskRequest { BoardId = board.Id, Title = "Then switch the reads", DependsOn = [blocker.Id] }, Ct);
        await SignInAsync("#/task/" + task.Id);
        await TaskReadyAsync();

        var link = Page.Locator($"#task-facts a[data-dependency=\"{blocker.Id}\"]");
        await Expect(link).ToHaveTextAsync(Text(@"^#\d+ Migrate the schema first \(To do\)$"));
        await Expect(Page.Locator("#task-facts .badge.blocked")).ToBeVisibleAsync();

        await link.ClickAsync();
        await Expect(Page.Locator("#task-title")).ToHaveTextAsync("Migrate the schema first");
        await Expect(Page.Locator("#task-title")).ToBeFocusedAsync();
    }

    internal static async Task Transition(HttpClient client, string taskId, string verb, TransitionRequest? body = null)
    {
        var response = await client.PostJsonAsync($"api/tasks/{taskId}/{verb}", body ?? new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest, Ct);
        Assert.True(response.IsSuccessStatusCode, $"{verb}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }
}
