using System.Globalization;
using System.Net;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>
/// The live agent-event relay on a real server: batches posted as the session, stored in the event log and sent on
/// the task stream in seq order; duplicates ignored, the per-session cap, late joiners and reconnects.
/// </summary>
public abstract class AgentEventRelayTests(ServerFixture fixture) : ServerTests(fixture)
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 18, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_batch_arrives_on_the_task_stream_in_seq_order()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await using var stream = await SseTestStream.OpenAsync(user.Client, $"api/tasks/{work.Task.Id}/events", Ct);

        // Out of order within a batch: the server stores (and streams) them by seq.
        var first = await PostOkAsync(work.Session.Client, work.Session.Id, [Text(3, "three"), Text(1, "one"), Text(2, "two")]);
        var second = await PostOkAsync(work.Session.Client, work.Session.Id,
            [ToolUse(4, "tu_1", "Bash", """{"command":"ls -la"}"""), Event(5, AgentEventKinds.TurnStarted, null)]);

        var frames = await AgentFramesAsync(stream, 5);
        Assert.Equal(new AgentEventBatchResultDto(3, 0, 3), first);
        Assert.Equal(new AgentEventBatchResultDto(2, 0, 5), second);
        Assert.All(frames, f => Assert.Equal("agent.event", f.Type));
        Assert.Equal([1L, 2, 3, 4, 5], frames.Select(f => f.Event.AgentEvent!.Seq));
        Assert.Equal(frames.Select(f => f.Id).Order(), frames.Select(f => f.Id));
        Assert.All(frames, f => Assert.Equal(work.Session.Id, f.Event.AgentEvent!.SessionId));
        Assert.All(frames, f => Assert.Equal(work.Task.Id, f.Event.TaskId));
        Assert.Equal(["one", "two", "three"], frames.Take(3).Select(f => f.Event.AgentEvent!.Data!.Value.GetProperty("text").GetString()));
        var toolUse = frames[3].Event.AgentEvent!;
        Assert.Equal(AgentEventKinds.ToolUse, toolUse.Kind);
        Assert.Equal(At.AddSeconds(4), toolUse.At);
        Assert.Equal("Bash", toolUse.Data!.Value.GetProperty("name").GetString());
        Assert.Equal("ls -la", toolUse.Data!.Value.GetProperty("input").GetProperty("command").GetString());
        Assert.Equal(JsonValueKind.Object, frames[4].Event.AgentEvent!.Data!.Value.ValueKind);
    }

    [Fact]
    public async Task A_retried_batch_applies_once()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await using var stream = await SseTestStream.OpenAsync(user.Client, $"api/tasks/{work.Task.Id}/events", Ct);

        await PostOkAsync(work.Session.Client, work.Session.Id, [Text(1, "a"), Text(2, "b"), Text(3, "c")]);
        var retried = await PostOkAsync(work.Session.Client, work.Session.Id, [Text(1, "a"), Text(2, "b"), Text(3, "c")]);
        var overlapping = await PostOkAsync(work.Session.Client, work.Session.Id, [Text(2, "b"), Text(3, "c"), Text(4, "d"), Text(4, "d again")]);
        await StreamApi.PostMessageAsync(user.Client, work.Task.Id, "marker", Ct);

        Assert.Equal(new AgentEventBatchResultDto(0, 3, 3), retried);
        Assert.Equal(new AgentEventBatchResultDto(1, 3, 4), overlapping);
        var streamed = await AgentFramesUntilMarkerAsync(stream);
        Assert.Equal(["a", "b", "c", "d"], streamed.Select(f => f.Event.AgentEvent!.Data!.Value.GetProperty("text").GetString()));
        var listed = await ListAsync(user.Client, work.Task.Id);
        Assert.Equal([1L, 2, 3, 4], listed.Select(e => e.Seq));
    }

    [Fact]
    public async Task The_server_keeps_the_last_N_events_per_session()
    {
        await using var server = await TestServer.StartAsync(Server.Kind, new TestServerOptions { AgentEventsPerSession = 10 }, Ct);
        var user = await server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);
        var other = await work.Machine.OpenSessionAsync(work.Agent.Id, work.Task.Id, work.Session.Session.Epoch, Ct);

        for (var from = 1; from <= 25; from += 7)
        {
            var batch = Enumerable.Range(from, Math.Min(7, 26 - from)).Select(i => Text(i, "e" + i)).ToList();
            await PostOkAsync(work.Session.Client, work.Session.Id, batch);
        }

        // One batch larger than the cap keeps only its newest events.
        await PostOkAsync(other.Client, other.Id, Enumerable.Range(1, 15).Select(i => Text(i, "o" + i)).ToList());

        var kept = await ListAsync(user.Client, work.Task.Id, work.Session.Id);
        Assert.Equal(Enumerable.Range(16, 10).Select(i => (long)i), kept.Select(e => e.Seq));
        var keptOther = await ListAsync(user.Client, work.Task.Id, other.Id);
        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), keptOther.Select(e => e.Seq));
        var after = await ListAsync(user.Client, work.Task.Id, work.Session.Id, afterSeq: 22);
        Assert.Equal([23L, 24, 25], after.Select(e => e.Seq));
        Assert.Equal(20, (await ListAsync(user.Client, work.Task.Id)).Count);

        // A late joiner replays only what is retained, although the server's in-memory feed saw every event.
        await StreamApi.PostMessageAsync(user.Client, work.Task.Id, "marker", Ct);
        await using var late = await SseTestStream.OpenAsync(user.Client, $"api/tasks/{work.Task.Id}/events?since=0", Ct);
        var replayed = await AgentFramesUntilMarkerAsync(late);
        Assert.Equal(
            Enumerable.Range(16, 10).Select(i => "e" + i).Concat(Enumerable.Range(6, 10).Select(i => "o" + i)),
            replayed.Select(f => f.Event.AgentEvent!.Data!.Value.GetProperty("text").GetString()));

        // A seq the server has pruned is still "already seen": a stale retry does not come back.
        var stale = await PostOkAsync(work.Session.Client, work.Session.Id, [Text(3, "e3")]);
        Assert.Equal(new AgentEventBatchResultDto(0, 1, 25), stale);
    }

    [Fact]
    public async Task A_late_joiner_gets_the_retained_history_then_live_events()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await PostOkAsync(work.Session.Client, work.Session.Id, Enumerable.Range(1, 30).Select(i => Text(i, "e" + i)).ToList());

        await using var late = await SseTestStream.OpenAsync(user.Client, $"api/tasks/{work.Task.Id}/events?since=0", Ct);
        var history = await AgentFramesAsync(late, 30);
        await PostOkAsync(work.Session.Client, work.Session.Id, [Text(31, "live")]);
        var live = await AgentFramesAsync(late, 1);

        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), history.Select(f => f.Event.AgentEvent!.Seq));
        Assert.Equal(31, live[0].Event.AgentEvent!.Seq);
        Assert.True(live[0].Id > history[^1].Id);
        var listed = await ListAsync(user.Client, work.Task.Id);
        Assert.Equal(history.Select(f => f.Event.AgentEvent!.Seq).Append(31), listed.Select(e => e.Seq));
    }

    [Fact]
    public async Task Reconnecting_with_Last_Event_ID_resumes_without_gap_or_duplicate()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var path = $"api/tasks/{work.Task.Id}/events";
        var first = await SseTestStream.OpenAsync(user.Client, path, Ct);
        for (var from = 1; from <= 40; from += 5)
        {
            await PostOkAsync(work.Session.Client, work.Session.Id, Enumerable.Range(from, 5).Select(i => Text(i, "e" + i)).ToList());
        }

        // Read part, then drop the connection while the rest is in flight; more events come while disconnected.
        var seen = await AgentFramesAsync(first, 12);
        await first.DisposeAsync();
        await PostOkAsync(work.Session.Client, work.Session.Id, Enumerable.Range(41, 5).Select(i => Text(i, "e" + i)).ToList());

        await using var second = await SseTestStream.OpenAsync(user.Client, path, Ct, lastEventId: seen[^1].Id.ToString(CultureInfo.InvariantCulture));
        var resumed = await AgentFramesAsync(second, 33);

        var all = seen.Concat(resumed).ToList();
        Assert.Equal(Enumerable.Range(1, 45).Select(i => (long)i), all.Select(f => f.Event.AgentEvent!.Seq));
        Assert.Equal(all.Select(f => f.Id).Order(), all.Select(f => f.Id));
        Assert.Equal(all.Count, all.Select(f => f.Id).Distinct().Count());
    }

    [Fact]
    public async Task Only_the_session_itself_or_its_machine_may_post()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        var otherWork = await user.StartWorkerAsync(Ct);
        var stranger = await NewUserAsync();
        var strangerWork = await stranger.StartWorkerAsync(Ct);
        var path = $"api/sessions/{work.Session.Id}/events";

        await (await PostAsync(otherWork.Session.Client, work.Session.Id, [Text(1, "x")])).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        await (await PostAsync(otherWork.Machine.Client, work.Session.Id, [Text(1, "x")])).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        await (await PostAsync(user.Client, work.Session.Id, [Text(1, "x")])).ReadErrorAsync(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, cancellationToken: Ct);
        await (await PostAsync(strangerWork.Machine.Client, work.Session.Id, [Text(1, "x")])).ReadErrorAsync(HttpStatusCode.NotFound, ErrorCodes.NotFound, cancellationToken: Ct);
        Assert.Empty(await ListAsync(user.Client, work.Task.Id));

        // The owning machine may relay for its session.
        Assert.Equal(new AgentEventBatchResultDto(1, 0, 1), await PostOkAsync(work.Machine.Client, work.Session.Id, [Text(1, "by machine")]));

        // Bad batches name the field.
        await (await PostAsync(work.Session.Client, work.Session.Id, [Event(2, "shout", null)])).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "events[0].kind", Ct);
        await (await PostAsync(work.Session.Client, work.Session.Id, [Text(0, "zero")])).ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "events[0].seq", Ct);
        await (await PostAsync(work.Session.Client, work.Session.Id, Enumerable.Range(2, 501).Select(i => Text(i, "x")).ToList()))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "events", Ct);
        await (await work.Session.Client.SendRawAsync(HttpMethod.Post, path, """{"events":[{"seq":2,"kind":"text","at":"2026-11-27T18:00:00Z","data":[1]}]}""", cancellationToken: Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "events[0].data", Ct);

        // After the lease is given back (epoch bumped) the old session's events no longer belong to the task.
        await (await work.Machine.Client.DeleteAsync($"api/tasks/{work.Task.Id}/lease", Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
        await (await PostAsync(work.Session.Client, work.Session.Id, [Text(2, "late")])).ReadErrorAsync(HttpStatusCode.Conflict, ErrorCodes.StaleEpoch, cancellationToken: Ct);

        // A closed session's tokens are refused outright.
        await (await otherWork.Machine.Client.PostAsync($"api/sessions/{otherWork.Session.Id}/close", null, Ct)).ExpectAsync(HttpStatusCode.OK, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(otherWork.Session.Client, otherWork.Session.Id, [Text(1, "closed")])).StatusCode);
        Assert.Equal([1L], (await ListAsync(user.Client, work.Task.Id)).Select(e => e.Seq));
        Assert.Empty(await ListAsync(user.Client, otherWork.Task.Id));
    }

    [Fact]
    public async Task Agent_events_stay_off_board_and_machine_streams()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await using var board = await SseTestStream.OpenAsync(user.Client, $"api/boards/{work.Board.Id}/events", Ct);
        await using var machine = await SseTestStream.OpenAsync(work.Machine.Client, $"api/machines/{work.Machine.Id}/events", Ct);

        await PostOkAsync(work.Session.Client, work.Session.Id, [Text(1, "hidden"), Text(2, "hidden too")]);
        await StreamApi.PostMessageAsync(user.Client, work.Task.Id, "marker", Ct);

        // Ids follow commit order: reaching the marker proves the earlier agent events were filtered, not late.
        Assert.DoesNotContain(await UntilMarkerAsync(board), f => f.Type == "agent.event");
        Assert.DoesNotContain(await UntilMarkerAsync(machine), f => f.Type == "agent.event");
    }

    private static AgentEventDto Event(long seq, string kind, JsonElement? data) =>
        new() { Seq = seq, Kind = kind, At = At.AddSeconds(seq), Data = data };

    private static AgentEventDto Text(long seq, string text) =>
        Event(seq, AgentEventKinds.Text, JsonSerializer.SerializeToElement(new AgentTextData(text), ContractsJsonContext.Default.AgentTextData));

    private static AgentEventDto ToolUse(long seq, string id, string name, string inputJson) =>
        Event(seq, AgentEventKinds.ToolUse, JsonSerializer.SerializeToElement(
            new AgentToolUseData(id, name, JsonDocument.Parse(inputJson).RootElement.Clone()), ContractsJsonContext.Default.AgentToolUseData));

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string sessionId, IReadOnlyList<AgentEventDto> events) =>
        client.PostJsonAsync($"api/sessions/{sessionId}/events", new AgentEventBatchRequest { Events = events },
            ContractsJsonContext.Default.AgentEventBatchRequest, Ct);

    private static async Task<AgentEventBatchResultDto> PostOkAsync(HttpClient client, string sessionId, IReadOnlyList<AgentEventDto> events) =>
        await (await PostAsync(client, sessionId, events)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.AgentEventBatchResultDto, Ct);

    private static async Task<List<AgentEventDto>> ListAsync(HttpClient client, string taskId, string? sessionId = null, long? afterSeq = null)
    {
        var query = new List<string>();
        if (sessionId is not null)
        {
            query.Add("session_id=" + Uri.EscapeDataString(sessionId));
        }

        if (afterSeq is not null)
        {
            query.Add("after_seq=" + afterSeq.Value.ToString(CultureInfo.InvariantCulture));
        }

        var url = $"api/tasks/{taskId}/agent-events" + (query.Count == 0 ? "" : "?" + string.Join("&", query));
        return await (await client.GetAsync(url, Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListAgentEventDto, Ct);
    }

    private static async Task<List<SseFrame>> AgentFramesAsync(SseTestStream stream, int count)
    {
        var frames = new List<SseFrame>();
        while (frames.Count < count)
        {
            var frame = await stream.NextFrameAsync(Ct);
            if (frame.Type == "agent.event")
            {
                frames.Add(frame);
            }
        }

        return frames;
    }

    private static async Task<List<SseFrame>> AgentFramesUntilMarkerAsync(SseTestStream stream) =>
        (await UntilMarkerAsync(stream)).Where(f => f.Type == "agent.event").ToList();

    private static async Task<List<SseFrame>> UntilMarkerAsync(SseTestStream stream)
    {
        var frames = new List<SseFrame>();
        while (frames.Count == 0 || frames[^1].Event.Message?.Content != "marker")
        {
            frames.Add(await stream.NextFrameAsync(Ct));
        }

        return frames;
    }
}

public sealed class AgentEventRelaySqliteTests(SqliteServerFixture fixture) : AgentEventRelayTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class AgentEventRelayPostgresTests(PostgresServerFixture fixture) : AgentEventRelayTests(fixture), IClassFixture<PostgresServerFixture>;
