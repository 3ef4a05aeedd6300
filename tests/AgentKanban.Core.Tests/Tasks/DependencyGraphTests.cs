using AgentKanban.Core.Tasks;
using TaskStatus = AgentKanban.Core.Tasks.TaskStatus;

namespace AgentKanban.Core.Tests.Tasks;

public sealed class DependencyGraphTests
{
    private static Func<string, IEnumerable<string>> Edges(params (string From, string To)[] edges) =>
        id => edges.Where(e => e.From == id).Select(e => e.To);

    public static TheoryData<string, string[], (string, string)[], bool> Cases() => new()
    {
        // task, proposed deps, existing edges, cycle?
        { "a", [], [], false },
        { "a", ["a"], [], true },                                   // self reference
        { "a", ["b"], [], false },
        { "a", ["b"], [("b", "a")], true },                         // direct back edge
        { "a", ["b"], [("b", "c"), ("c", "a")], true },             // longer loop
        { "a", ["b", "c"], [("b", "d"), ("c", "d")], false },       // diamond is fine
        { "a", ["b"], [("b", "c"), ("c", "b")], false },            // unrelated cycle elsewhere terminates
        { "a", ["b"], [("a", "b"), ("b", "x")], false },            // a's own old edges are being replaced
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Detects_cycles(string task, string[] proposed, (string, string)[] edges, bool expected)
    {
        Assert.Equal(expected, DependencyGraph.WouldCreateCycle(task, proposed, Edges(edges)));
    }

    [Fact]
    public void Long_chain_does_not_overflow()
    {
        const int n = 200_000;
        IEnumerable<string> Next(string id)
        {
            var i = int.Parse(id[1..], System.Globalization.CultureInfo.InvariantCulture);
            return i < n ? [$"t{i + 1}"] : ["t0"];
        }

        Assert.True(DependencyGraph.WouldCreateCycle("t0", ["t1"], Next));
    }

    [Theory]
    [InlineData(new TaskStatus[0], false)]
    [InlineData(new[] { TaskStatus.Done, TaskStatus.Cancelled }, false)]
    [InlineData(new[] { TaskStatus.Done, TaskStatus.Todo }, true)]
    [InlineData(new[] { TaskStatus.InReview }, true)]
    public void Blocked_until_every_dependency_is_done_or_cancelled(TaskStatus[] deps, bool blocked)
    {
        Assert.Equal(blocked, DependencyGraph.IsBlocked(deps));
    }
}
