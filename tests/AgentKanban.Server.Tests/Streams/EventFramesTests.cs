using System.Text;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Streams;

namespace AgentKanban.Server.Tests.Streams;

public sealed class EventFramesTests
{
    [Fact]
    public void Frame_has_id_event_data_and_a_blank_line()
    {
        var frame = Text(EventFrames.Build(42, "task.updated", """{"type":"task.updated","task_id":"t1"}"""));

        Assert.Equal("id: 42\nevent: task.updated\ndata: {\"id\":42,\"type\":\"task.updated\",\"task_id\":\"t1\"}\n\n", frame);
    }

    [Fact]
    public void Id_stored_in_the_payload_is_replaced_by_the_log_id()
    {
        var payload = JsonSerializer.Serialize(
            new ServerEventDto { Id = 0, Type = "task.created", BoardId = "b1", TaskId = "t9" },
            ContractsJsonContext.Default.ServerEventDto);

        var frame = Text(EventFrames.Build(7, "task.created", payload));
        var data = DataLine(frame);
        var parsed = JsonSerializer.Deserialize(data, ContractsJsonContext.Default.ServerEventDto);

        Assert.NotNull(parsed);
        Assert.Equal(7, parsed.Id);
        Assert.Equal("t9", parsed.TaskId);
        Assert.Equal(1, CountOccurrences(data, "\"id\":"));
    }

    [Fact]
    public void Multi_line_payload_becomes_one_data_line()
    {
        var payload = "{\n  \"type\": \"task.message\",\n  \"text\": \"line one\\nline two\"\n}";

        var frame = Text(EventFrames.Build(3, "task.message", payload));

        var lines = frame.Split('\n');
        Assert.Equal(["id: 3", "event: task.message", "data: {\"id\":3,\"type\":\"task.message\",\"text\":\"line one\\nline two\"}", "", ""], lines);
    }

    [Fact]
    public void Malformed_payload_still_yields_a_parseable_frame()
    {
        var frame = Text(EventFrames.Build(5, "task.updated", "{not json"));

        using var data = JsonDocument.Parse(DataLine(frame));
        Assert.Equal(5, data.RootElement.GetProperty("id").GetInt64());
        Assert.Equal("task.updated", data.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Event_type_cannot_break_the_frame()
    {
        var frame = Text(EventFrames.Build(1, "evil\r\ndata: injected", "{}"));

        Assert.StartsWith("id: 1\nevent: evil  data: injected\ndata: {\"id\":1}\n\n", frame, StringComparison.Ordinal);
    }

    [Fact]
    public void Keep_alive_is_an_sse_comment()
    {
        Assert.Equal(": keep-alive\n\n", Encoding.UTF8.GetString(EventFrames.KeepAlive.Span));
    }

    private static string Text(byte[] frame) => Encoding.UTF8.GetString(frame);

    private static string DataLine(string frame) =>
        frame.Split('\n').Single(line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];

    private static int CountOccurrences(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
