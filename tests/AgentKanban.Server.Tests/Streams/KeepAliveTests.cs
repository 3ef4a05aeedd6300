using AgentKanban.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Server.Tests.Streams;

public sealed class KeepAliveTests
{
    [Fact]
    public async Task An_idle_stream_gets_a_keep_alive_comment_every_15_seconds()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, new TestServerOptions { Time = time }, ct);
        var user = await server.CreateUserAsync(cancellationToken: ct);
        var board = await user.CreateBoardAsync(cancellationToken: ct);

        // The server arms the keep-alive timer before it sends the headers (and re-arms it before each comment),
        // so whenever the client has seen the latest output the clock can be moved.
        await using var stream = await SseTestStream.OpenAsync(user.Client, $"api/boards/{board.Id}/events", ct);
        for (var round = 0; round < 2; round++)
        {
            time.Advance(TimeSpan.FromSeconds(15));
            var (frame, comment) = await stream.NextAsync(ct);
            Assert.Null(frame);
            Assert.Equal("keep-alive", comment);
        }
    }
}
