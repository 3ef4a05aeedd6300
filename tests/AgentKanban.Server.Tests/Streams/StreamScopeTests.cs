using AgentKanban.Server.Streams;

namespace AgentKanban.Server.Tests.Streams;

public sealed class StreamScopeTests
{
    public static TheoryData<string, string, string?, string?, string?, string?, bool> Cases => new()
    {
        // kind, owner of the event, board, task, machine, agent, expected
        { "board", "u1", "b1", "t1", null, null, true },
        { "board", "u1", "b2", "t1", null, null, false },
        { "board", "u2", "b1", "t1", null, null, false },
        { "board", "u1", null, null, "m1", null, false },
        { "task", "u1", "b1", "t1", null, null, true },
        { "task", "u1", "b1", "t2", null, null, false },
        { "task", "u2", "b1", "t1", null, null, false },
        { "machine", "u1", "b1", "t1", null, "a1", true },
        { "machine", "u1", "b1", "t1", null, null, false },
        { "machine", "u1", null, null, "m1", null, true },
        { "machine", "u1", null, null, "m2", null, false },
        { "machine", "u2", "b1", "t1", null, "a1", false },
        { "machine", "u2", null, null, "m1", null, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Scope_sees_only_its_owner_and_target(string stream, string owner, string? board, string? task, string? machine, string? agent, bool expected)
    {
        var (kind, target) = stream switch
        {
            "board" => (StreamKind.Board, "b1"),
            "task" => (StreamKind.Task, "t1"),
            _ => (StreamKind.Machine, "m1"),
        };
        var scope = new StreamScope(kind, "u1", target);
        var stored = new StoredEvent(1, "task.updated", owner, board, task, machine, agent, ReadOnlyMemory<byte>.Empty);

        Assert.Equal(expected, scope.Matches(stored));
    }
}
