using System.Net;
using System.Text;
using AgentKanban.Client.Sse;
using AgentKanban.Contracts;

namespace AgentKanban.Client.Tests;

public sealed class EventStreamTests
{
    private const string Server = "http://board.test:7420";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BoardApiClient Client(FakeServer server) => new(Server, new BearerTokenCredentials("akm_machine"), null, server);

    private static async Task<List<T>> AllAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    [Fact]
    public async Task Events_resume_after_the_last_id_and_skip_keepalives_and_frames_that_are_no_event()
    {
        const string stream = """
            : keep-alive

            id: 7
            event: task.updated
            data: {"id":7,"type":"task.updated",
            data: "task_id":"t1"}

            id: 8
            data: not json

            id: 9
            event: machine.updated
            data: {"type":"machine.updated"}


            """;
        using var server = new FakeServer(_ => FakeServer.EventStream(stream));
        using var client = Client(server);

        var events = await AllAsync(client.StreamEventsAsync("api/machines/m1/events", 6, Ct));

        Assert.Equal([(7L, "task.updated", "t1"), (9L, "machine.updated", null)], events.Select(e => (e.Id, e.Type, e.TaskId)));
        Assert.Equal("6", server.Last.LastEventId);
        Assert.Equal("text/event-stream", server.Last.Accept);
        Assert.Equal("Bearer akm_machine", server.Last.Authorization);
    }

    [Fact]
    public async Task A_reset_comes_as_an_event_whose_id_is_the_head()
    {
        const string stream = """
            id: 120
            event: reset
            data: {"id":120,"type":"reset","pruned_through":100}

            id: 121
            event: reset
            data: {}


            """;
        using var server = new FakeServer(_ => FakeServer.EventStream(stream));
        using var client = Client(server);

        var events = await AllAsync(client.StreamEventsAsync("api/machines/m1/events", 50, Ct));

        Assert.Equal([(120L, StreamEvents.Reset, (long?)100), (121L, StreamEvents.Reset, null)], events.Select(e => (e.Id, e.Type, e.PrunedThrough)));
    }

    [Fact]
    public async Task A_fresh_stream_sends_no_last_event_id()
    {
        using var server = new FakeServer(_ => FakeServer.EventStream(""));
        using var client = Client(server);

        Assert.Empty(await AllAsync(client.StreamEventsAsync("api/machines/m1/events", null, Ct)));
        Assert.Null(server.Last.LastEventId);
    }

    [Fact]
    public async Task A_stream_that_breaks_is_a_transient_failure_without_an_answer()
    {
        var body = new BreakingStream(Encoding.UTF8.GetBytes("id: 5\ndata: {\"id\":5,\"type\":\"task.created\"}\n\nid: 6\ndata: {"));
        using var server = new FakeServer(_ => FakeServer.EventStream(body));
        using var client = Client(server);
        var seen = new List<long>();

        var e = await Assert.ThrowsAsync<ServerApiException>(async () =>
        {
            await foreach (var evt in client.StreamEventsAsync("api/machines/m1/events", null, Ct))
            {
                seen.Add(evt.Id);
            }
        });

        Assert.Equal([5L], seen);
        Assert.True(e.IsNoAnswer);
        Assert.True(e.IsTransient);
        Assert.StartsWith("event stream broke: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_stream_throws_the_servers_error()
    {
        using var server = new FakeServer(_ => FakeServer.Error(HttpStatusCode.Forbidden, ErrorCodes.Forbidden, "not your machine"));
        using var client = Client(server);

        var e = await Assert.ThrowsAsync<ServerApiException>(() => AllAsync(client.StreamEventsAsync("api/machines/m2/events", null, Ct)));

        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task A_task_stream_gives_frames_resuming_after_the_last_id()
    {
        using var server = new FakeServer(_ => FakeServer.EventStream("id: 3\nevent: reset\ndata: {\"id\":3,\"type\":\"reset\"}\n\n"));
        using var client = Client(server);

        var frames = await client.OpenTaskEventsAsync("t 1", "2", Ct);

        Assert.NotNull(frames);
        Assert.Equal([new SseFrame("3", StreamEvents.Reset, "{\"id\":3,\"type\":\"reset\"}")], await AllAsync(frames));
        Assert.Equal("/api/tasks/t%201/events", server.Last.PathAndQuery);
        Assert.Equal("2", server.Last.LastEventId);
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.MethodNotAllowed)]
    [InlineData(HttpStatusCode.NotImplemented)]
    public async Task A_server_without_task_streams_answers_null(HttpStatusCode status)
    {
        using var server = new FakeServer(_ => FakeServer.Json(status, ""));
        using var client = Client(server);

        Assert.Null(await client.OpenTaskEventsAsync("t1", null, Ct));
    }

    /// <summary>Gives its bytes, then fails the way a dropped connection does.</summary>
    private sealed class BreakingStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = base.Read(buffer, offset, count);
            return read > 0 ? read : throw new IOException("connection reset by peer");
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("connection reset by peer");
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
