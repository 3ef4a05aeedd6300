using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;
using AgentKanban.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Machines;

public sealed class MachinesPageTests(WebFixture fixture) : WebTests(fixture)
{
    [Fact]
    public async Task A_paused_runtime_shows_its_reset_countdown_and_usage_bars()
    {
        var machine = await User.RegisterMachineAsync(cancellationToken: Ct);
        var resetAt = Now.AddHours(2);
        await machine.HeartbeatAsync(new HeartbeatRequest
        {
            Runtimes = [new RuntimeStatusDto("claude", "limited", "five_hour window rejected", resetAt), new RuntimeStatusDto("codex", "ready")],
            Usage = [new UsageWindowDto("claude", "five_hour", 97, resetAt)],
        }, Ct);
        await SignInAsync("#/machines");
        await Expect(Page.Locator("#machines-view")).ToHaveAttributeAsync("data-ready", "true");

        var section = Page.Locator($"[data-machine-id=\"{machine.Id}\"]");
        await Expect(section).ToHaveAttributeAsync("data-status", "online");
        var claude = section.Locator("tr[data-runtime=claude]");
        await Expect(claude).ToHaveAttributeAsync("data-status", "limited");
        await Expect(claude.Locator(".countdown")).ToHaveTextAsync(Text(@"^in (1h 59m|2h 00m) \d\ds$"));
        await Expect(section.Locator("tr[data-runtime=codex]")).ToHaveAttributeAsync("data-status", "ready");
        var meter = section.GetByRole(Microsoft.Playwright.AriaRole.Meter, new() { Name = "claude five_hour" });
        await Expect(meter).ToHaveAttributeAsync("aria-valuenow", "97");
        // The bar is drawn under the page's Content-Security-Policy (no inline style attributes allowed).
        var filled = await meter.Locator(".fill").EvaluateAsync<double>("f => f.getBoundingClientRect().width / f.parentElement.getBoundingClientRect().width");
        Assert.InRange(filled, 0.9, 1.0);

        // The countdown runs: its text changes without a reload.
        var first = await claude.Locator(".countdown").TextContentAsync();
        await Expect(claude.Locator(".countdown")).Not.ToHaveTextAsync(first!);
    }

    [Fact]
    public async Task A_task_waiting_on_a_paused_runtime_carries_a_rate_limited_badge_with_the_countdown()
    {
        var board = await User.CreateBoardAsync(cancellationToken: Ct);
        var agent = await User.CreateAgentAsync(runtime: "claude", cancellationToken: Ct);
        var task = await User.CreateTaskAsync(board.Id, agent.Id, "waits for the window", Ct);
        var machine = await User.RegisterMachineAsync(cancellationToken: Ct);
        await machine.HeartbeatAsync(new HeartbeatRequest
        {
            Runtimes = [new RuntimeStatusDto("claude", "limited", null, Now.AddMinutes(30))],
        }, Ct);
        await SignInAsync("#/board/" + board.Id);
        await BoardReadyAsync();

        var badge = CardIn("todo", task.Id).Locator(".badge.limited");
        await Expect(badge).ToContainTextAsync(Text(@"resets in (29|30)m \d\ds"));
        await Expect(CardIn("todo", task.Id).Locator(".why")).ToContainTextAsync("rate-limited");
    }

    [Fact]
    public async Task Sessions_and_totals_show_tokens_and_cost()
    {
        var work = await User.StartWorkerAsync(Ct);
        var usage = await work.Machine.Client.PostJsonAsync($"api/sessions/{work.Session.Id}/usage",
            new SessionUsageRequest { InputTokens = 1200, OutputTokens = 340, CacheReadTokens = 5000, CostMicroUsd = 125_000 },
            ContractsJsonContext.Default.SessionUsageRequest, Ct);
        Assert.True(usage.IsSuccessStatusCode, await usage.Content.ReadAsStringAsync(Ct));
        await SignInAsync("#/machines");
        await Expect(Page.Locator("#machines-view")).ToHaveAttributeAsync("data-ready", "true");

        var row = Page.Locator($"#session-table tr[data-session-id=\"{work.Session.Id}\"]");
        await Expect(row).ToContainTextAsync("1,200");
        await Expect(row).ToContainTextAsync("$0.1250");
        await Expect(Page.Locator("#totals-boards tbody")).ToContainTextAsync(work.Board.Name);
        await Expect(Page.Locator("#totals-agents tbody")).ToContainTextAsync(work.Agent.Username);
        await Expect(Page.Locator("#totals-agents tbody")).ToContainTextAsync("$0.1250");
    }
}
