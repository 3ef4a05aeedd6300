using AgentKanban.Core.Tasks;
using TaskStatus = AgentKanban.Core.Tasks.TaskStatus;

namespace AgentKanban.Core.Tests.Tasks;

public sealed class TaskTransitionsTests
{
    // The specification, written out independently of the implementation:
    // action, roles that may perform it, statuses it starts from, status it ends in.
    private static readonly (string Action, string Roles, string From, string To)[] Spec =
    [
        ("claim", "worker", "todo", "in_progress"),
        ("review", "worker", "in_progress", "in_review"),
        ("reject", "user leader", "in_review", "in_progress"),
        ("complete", "user machine leader", "in_review", "done"),
        ("cancel", "user machine leader", "todo in_progress in_review", "cancelled"),
        ("release", "user machine leader", "in_progress", "todo"),
    ];

    private static readonly Dictionary<ActorRole, string> RoleWords = new()
    {
        [ActorRole.User] = "user",
        [ActorRole.Machine] = "machine",
        [ActorRole.Worker] = "worker",
        [ActorRole.Leader] = "leader",
    };

    public static TheoryData<TaskStatus, TaskAction, ActorRole> EveryCombination()
    {
        var data = new TheoryData<TaskStatus, TaskAction, ActorRole>();
        foreach (var status in TaskStatusNames.All)
        {
            foreach (var action in TaskActionNames.All)
            {
                foreach (var role in ActorRoleNames.All)
                {
                    data.Add(status, action, role);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryCombination))]
    public void Decide_matches_the_specification(TaskStatus status, TaskAction action, ActorRole role)
    {
        var spec = Spec.Single(s => s.Action == action.ToVerb());
        var roleAllowed = spec.Roles.Split(' ').Contains(RoleWords[role]);
        var stateAllowed = spec.From.Split(' ').Contains(status.ToName());

        var decision = TaskTransitions.Decide(status, action, role);

        var expected = !roleAllowed ? TransitionVerdict.Forbidden
            : !stateAllowed ? TransitionVerdict.IllegalState
            : TransitionVerdict.Allowed;
        Assert.Equal(expected, decision.Verdict);
        Assert.Equal(status, decision.From);
        Assert.Equal(spec.To, decision.To.ToName());
    }

    [Fact]
    public void Every_combination_is_covered()
    {
        Assert.Equal(5 * 6 * 4, EveryCombination().Count);
    }

    [Fact]
    public void Terminal_statuses_allow_no_action_for_anyone()
    {
        foreach (var status in new[] { TaskStatus.Done, TaskStatus.Cancelled })
        {
            foreach (var action in TaskActionNames.All)
            {
                foreach (var role in ActorRoleNames.All)
                {
                    Assert.False(TaskTransitions.Decide(status, action, role).IsAllowed, $"{status} {action} {role}");
                }
            }
        }
    }

    [Fact]
    public void Illegal_message_names_current_and_allowed_states()
    {
        var message = TaskTransitions.DescribeIllegal(TaskAction.Cancel, TaskStatus.Done);
        Assert.Equal("Cannot cancel a task that is done (allowed from: todo, in_progress, in_review)", message);
    }

    [Theory]
    [InlineData("todo", TaskStatus.Todo)]
    [InlineData("in_progress", TaskStatus.InProgress)]
    [InlineData("in_review", TaskStatus.InReview)]
    [InlineData("done", TaskStatus.Done)]
    [InlineData("cancelled", TaskStatus.Cancelled)]
    public void Status_names_round_trip(string name, TaskStatus status)
    {
        Assert.True(TaskStatusNames.TryParse(name, out var parsed));
        Assert.Equal(status, parsed);
        Assert.Equal(name, status.ToName());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("TODO")]
    [InlineData("in-progress")]
    public void Unknown_status_names_are_rejected(string? name)
    {
        Assert.False(TaskStatusNames.TryParse(name, out _));
    }
}
