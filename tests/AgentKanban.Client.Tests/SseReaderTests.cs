using AgentKanban.Client.Sse;

namespace AgentKanban.Client.Tests;

public sealed class SseReaderTests
{
    private static async Task<List<SseFrame>> ReadAsync(string text)
    {
        using var reader = new StringReader(text);
        var frames = new List<SseFrame>();
        await foreach (var frame in SseReader.ReadAsync(reader, TestContext.Current.CancellationToken))
        {
            frames.Add(frame);
        }

        return frames;
    }

    [Fact]
    public async Task Frames_carry_id_event_and_joined_data_and_skip_comments()
    {
        var frames = await ReadAsync(": keep-alive\n\nid: 7\nevent: task.updated\ndata: {\"a\":\ndata: 1}\n\nretry: 1000\nid: 8\ndata:plain\n\n");

        Assert.Equal([new SseFrame("7", "task.updated", "{\"a\":\n1}"), new SseFrame("8", null, "plain")], frames);
    }

    [Fact]
    public async Task A_frame_cut_off_by_the_end_of_the_stream_is_dropped()
    {
        Assert.Empty(await ReadAsync("id: 9\nevent: task.updated\ndata: {\"partial\""));
    }

    [Fact]
    public async Task The_last_id_carries_over_to_frames_without_one()
    {
        var frames = await ReadAsync("id: 3\ndata: a\n\ndata: b\n\n");

        Assert.Equal(["3", "3"], frames.Select(f => f.Id));
    }
}
