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

    [Fact]
    public async Task Crlf_and_cr_line_endings_and_fields_without_a_value_are_read()
    {
        var frames = await ReadAsync("id: 1\r\nevent: a\r\ndata\r\ndata: x\r\n\rid: 2\rdata: y\r\r");

        Assert.Equal([new SseFrame("1", "a", "\nx"), new SseFrame("2", null, "y")], frames);
    }

    [Fact]
    public async Task A_frame_without_data_is_not_dispatched_but_its_id_counts()
    {
        var frames = await ReadAsync("id: 4\nevent: ping\n\ndata: z\n\n");

        Assert.Equal([new SseFrame("4", null, "z")], frames);
    }

    [Fact]
    public async Task An_id_with_a_nul_is_ignored()
    {
        var frames = await ReadAsync("id: 1\ndata: a\n\nid: 2\u0000x\ndata: b\n\n");

        Assert.Equal(["1", "1"], frames.Select(f => f.Id));
    }
}
