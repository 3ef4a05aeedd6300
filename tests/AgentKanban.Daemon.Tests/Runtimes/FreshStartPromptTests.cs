using AgentKanban.Contracts;
using AgentKanban.Daemon.Runtimes;

namespace AgentKanban.Daemon.Tests.Runtimes;

/// <summary>The prompt of a new conversation for a session whose conversation the runtime lost.</summary>
public sealed class FreshStartPromptTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Carries_the_task_its_history_oldest_first_and_what_the_launch_was_for()
    {
        var task = Task(
            [Activity(0, "claimed", null), Activity(2, "commented", "parser handles nested lists"), Activity(5, "rejected", "add tests")],
            [Message("m1", 1, "agent", "starting on the parser"), Message("m2", 3, "user", "empty lists too, please")]);

        var prompt = Prompts.FreshStart("Task ID: t-1\nTitle: parser\n", task, [], Prompts.Rejected("add tests"));

        Assert.StartsWith("Task ID: t-1\nTitle: parser", prompt, StringComparison.Ordinal);
        Assert.Contains("cannot be continued", prompt, StringComparison.Ordinal);
        var lines = prompt.Split('\n');
        int IndexOf(string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        Assert.True(IndexOf("claimed by worker") < IndexOf("message from agent: starting on the parser"));
        Assert.True(IndexOf("starting on the parser") < IndexOf("note by worker: parser handles nested lists"));
        Assert.True(IndexOf("parser handles nested lists") < IndexOf("message from user: empty lists too, please"));
        Assert.True(IndexOf("empty lists too") < IndexOf("rejected by worker: add tests"));
        Assert.Contains("[2026-05-01 09:02 UTC] note by worker: parser handles nested lists", prompt, StringComparison.Ordinal);
        Assert.EndsWith(Prompts.Rejected("add tests").Trim() + "\n", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Leaves_out_the_messages_handed_over_as_new_with_the_same_prompt()
    {
        var pending = Message("m2", 3, "user", "empty lists too, please");
        var task = Task([], [Message("m1", 1, "user", "start with the parser"), pending]);

        var prompt = Prompts.FreshStart("Task ID: t-1\n", task, [pending], Prompts.RestartResume);

        Assert.Contains("start with the parser", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("empty lists too", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Keeps_the_latest_history_within_its_budget_and_says_how_much_was_left_out()
    {
        var notes = Enumerable.Range(0, 100).Select(i => Activity(i, "commented", $"note {i:D3} " + new string('x', 5_000))).ToList();

        var prompt = Prompts.FreshStart("Task ID: t-1\n", Task(notes, []), [], Prompts.RestartResume);

        Assert.Contains("note 099", prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("note 000", prompt, StringComparison.Ordinal);
        Assert.Matches(@"\((\d+) earlier entries left out\)", prompt);
        Assert.DoesNotContain(new string('x', Prompts.MaxHistoryEntryChars + 1), prompt, StringComparison.Ordinal);
        Assert.InRange(prompt.Length, Prompts.MaxHistoryChars / 2, Prompts.MaxHistoryChars + 2_000);
    }

    [Fact]
    public void Without_the_task_from_the_server_it_says_where_to_look()
    {
        var prompt = Prompts.FreshStart("Task ID: t-1\n", null, [], Prompts.RateLimitResume);

        Assert.Contains("could not be read from the board", prompt, StringComparison.Ordinal);
        Assert.Contains("ak describe task", prompt, StringComparison.Ordinal);
        Assert.Contains(Prompts.RateLimitResume, prompt, StringComparison.Ordinal);
    }

    private static TaskDto Task(IReadOnlyList<ActivityDto> activity, IReadOnlyList<MessageDto> messages) => new()
    {
        Id = "t-1",
        BoardId = "b-1",
        Status = "in_progress",
        Title = "parser",
        Activity = activity,
        Messages = messages,
    };

    private static ActivityDto Activity(int minute, string action, string? detail) =>
        new($"a{minute}", "t-1", "worker", "agent-1", action, detail, "s-1", T0.AddMinutes(minute));

    private static MessageDto Message(string id, int minute, string sender, string text) =>
        new(id, "t-1", sender, sender == "user" ? "u-1" : "agent-1", text, T0.AddMinutes(minute));
}
