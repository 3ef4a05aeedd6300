using Microsoft.Extensions.Time.Testing;

namespace AgentKanban.Server.Tests.Streams;

public sealed class KeepAliveTests
{
    [Fact]
    public async Task An_idle_stream_gets_a_keep_alive_comment_every_15_seconds()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var env = await StreamEnvironment.StartAsync("sqlite", time, ct);
        var board = await StreamServer.CreateBoardAsync(env.Server.Admin, "quiet", ct);

        // The server arms the keep-alive timer before it sends the headers, so once they are here the clock can move.
        await using var stream = await SseTestStream.OpenAsync(env.Server.Admin, $"/api/boards/{board.Id}/events", ct);
        for (var round = 0; round < 2; round++)
        {
            time.Advance(TimeSpan.FromSeconds(15));
            var (frame, comment) = await stream.NextAsync(ct);
            Assert.Null(frame);
            Assert.Equal("keep-alive", comment);
        }
    }
}
