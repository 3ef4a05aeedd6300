using System.Globalization;
using AgentKanban.Server.Tests.Infrastructure;
using AgentKanban.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace AgentKanban.Web.Tests.Detail;

/// <summary>The agent's live stream on the task page, fed through the real relay endpoint signed as the agent session.</summary>
public sealed class AgentStreamTests(WebFixture fixture) : WebTests(fixture)
{
    [Fact]
    public async Task Live_agent_events_appear_in_order_with_thinking_collapsed_tools_paired_and_usage_shown()
    {
        var work = await User.StartWorkerAsync(Ct);
        await TaskDetailTests.Transition(work.Session.Client, work.Task.Id, "claim");
        await SignInAsync("#/task/" + work.Task.Id);
        await TaskReadyAsync();
        await Expect(Page.Locator("#agent-stream .empty-stream")).ToBeVisibleAsync();

        var at = Iso(Now);
        var resets = Iso(Now.AddHours(1));
        // The first batch arrives out of order: the server stores by seq, the page draws by seq.
        await PostEventsAsync(work, """
            {"events":[
              {"seq":2,"kind":"text","at":"@AT","data":{"text":"Looking at the failing test"}},
              {"seq":1,"kind":"turn_started","at":"@AT","data":{}},
              {"seq":3,"kind":"thinking","at":"@AT","data":{"text":"The fixture reuses a port"}},
              {"seq":4,"kind":"tool_use","at":"@AT","data":{"id":"tu_1","name":"Bash","input":{"command":"dotnet test"}}}
            ]}
            """, at, resets);
        var events = Page.Locator("#agent-stream > .ev");
        await Expect(events).ToHaveCountAsync(4);
        Assert.Equal(["1", "2", "3", "4"], await events.EvaluateAllAsync<string[]>("list => list.map(e => e.dataset.seq)"));
        await Expect(events.Nth(1)).ToContainTextAsync("Looking at the failing test");
        Assert.False(await Page.Locator("#agent-stream details.ev-thinking").EvaluateAsync<bool>("d => d.open"));
        await Expect(Page.Locator("#agent-stream .ev-tool_use")).ToContainTextAsync("dotnet test");

        await PostEventsAsync(work, """
            {"events":[
              {"seq":5,"kind":"tool_result","at":"@AT","data":{"tool_use_id":"tu_1","content":"Passed: 42","is_error":false,"truncated":false}},
              {"seq":6,"kind":"turn_ended","at":"@AT","data":{"input_tokens":1500,"output_tokens":320,"cache_read_tokens":9000,"cache_creation_tokens":0,"cost_usd":0.0421}},
              {"seq":7,"kind":"rate_limit","at":"@AT","data":{"status":"rejected","resets_at":"@RESETS","rate_limit_type":"five_hour","overage_status":null,"overage_resets_at":null}}
            ]}
            """, at, resets);
        // The result sits inside its tool call; usage and the rate-limit banner follow in order.
        await Expect(Page.Locator("#agent-stream .ev-tool_use .tool-result")).ToContainTextAsync("Passed: 42");
        await Expect(events).ToHaveCountAsync(6);
        await Expect(events.Nth(4)).ToContainTextAsync("in 1,500 · out 320");
        await Expect(events.Nth(4)).ToContainTextAsync("$0.0421");
        await Expect(events.Nth(5)).ToContainTextAsync("rejected (five_hour)");
        await Expect(Page.Locator("#task-banners")).ToContainTextAsync(Text(@"Agent rate-limited: rejected · resets in (59m|1h 00m)"));

        // A reload draws the same stream from the retained history, once.
        await Page.ReloadAsync();
        await TaskReadyAsync();
        await Expect(events).ToHaveCountAsync(6);
        Assert.Equal(["1", "2", "3", "4", "6", "7"], await events.EvaluateAllAsync<string[]>("list => list.map(e => e.dataset.seq)"));
        await Expect(Page.Locator("#agent-stream .ev-tool_use .tool-result")).ToHaveCountAsync(1);
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Posts a batch signed as the agent session; <c>@AT</c> and <c>@RESETS</c> in the JSON become times.</summary>
    private static async Task PostEventsAsync(WorkerSetup work, string template, string at, string resets)
    {
        var json = template.Replace("@AT", at, StringComparison.Ordinal).Replace("@RESETS", resets, StringComparison.Ordinal);
        var response = await work.Session.Client.SendRawAsync(HttpMethod.Post, $"api/sessions/{work.Session.Id}/events", json, cancellationToken: Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}\n{json}");
    }
}
