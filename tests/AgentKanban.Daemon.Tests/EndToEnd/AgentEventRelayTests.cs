using AgentKanban.Contracts;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>A running agent's events reach the board's live view, in order, also across a daemon restart.</summary>
public sealed class AgentEventRelayTests
{
    [Fact]
    public async Task A_runs_events_arrive_on_the_server_in_order()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("relay me", "claim", "say first words", "tool", "say second words", "review", "result");
        await env.StartInProcessAsync();
        await env.WaitForStatusAsync(task.Id, "in_review");

        // The run's final flush happens before its ending is applied, so the turn's end is there once the session is.
        var events = await Eventually.WaitAsync(async () =>
        {
            var list = await env.Server.AgentEventsAsync(task.Id);
            return list.Any(e => e.Kind == AgentEventKinds.TurnEnded) ? list : null;
        }, "the run's events on the server");

        var session = Assert.Single(await env.Server.SessionsAsync(task.Id));
        Assert.All(events, e => Assert.Equal(session.Id, e.SessionId));
        Assert.Equal(events.Select(e => e.Seq).Order(), events.Select(e => e.Seq));
        Assert.Equal(events.Count, events.Select(e => e.Seq).Distinct().Count());
        var shown = events.Where(e => e.Kind is not AgentEventKinds.TurnStarted).Select(Describe).ToList();
        Assert.Equal(["text:first words", "tool_use:Bash", "tool_result:ok", "text:second words", "turn_ended:100/50"], shown);
    }

    [Fact]
    public async Task A_resumed_session_numbers_its_events_above_the_first_runs()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("long job", "claim", "say started", "sleep-fresh 60000", "say finishing", "review", "result");
        var first = env.StartProcess();
        var before = await Eventually.WaitAsync(async () =>
        {
            var list = await env.Server.AgentEventsAsync(task.Id);
            return list.Any(e => Describe(e) == "text:started") ? list : null;
        }, "the first run's text on the server");

        await first.KillHardAsync();
        env.StartProcess();
        await env.WaitForStatusAsync(task.Id, "in_review");

        var after = await Eventually.WaitAsync(async () =>
        {
            var list = await env.Server.AgentEventsAsync(task.Id);
            return list.Any(e => e.Kind == AgentEventKinds.TurnEnded) ? list : null;
        }, "the resumed run's events on the server");

        // The resumed run says "started" again: had it reused the first run's seqs, the server would have ignored it.
        Assert.Equal(["text:started", "text:started", "text:finishing", "turn_ended:100/50"],
            after.Where(e => e.Kind is not AgentEventKinds.TurnStarted).Select(Describe));
        Assert.Equal(after.Select(e => e.Seq).Order(), after.Select(e => e.Seq));
        Assert.Single(after.Select(e => e.SessionId).Distinct());
        var firstRunLast = before.Max(e => e.Seq);
        Assert.True(after.Count(e => e.Seq > firstRunLast) >= 3, "the resumed run's events are numbered above the first run's");
    }

    private static string Describe(AgentEventDto e)
    {
        var data = e.Data!.Value;
        return e.Kind switch
        {
            AgentEventKinds.Text => "text:" + data.GetProperty("text").GetString(),
            AgentEventKinds.ToolUse => "tool_use:" + data.GetProperty("name").GetString(),
            AgentEventKinds.ToolResult => "tool_result:" + data.GetProperty("content").GetString(),
            AgentEventKinds.TurnEnded => $"turn_ended:{data.GetProperty("input_tokens").GetInt64()}/{data.GetProperty("output_tokens").GetInt64()}",
            _ => e.Kind ?? "?",
        };
    }
}
