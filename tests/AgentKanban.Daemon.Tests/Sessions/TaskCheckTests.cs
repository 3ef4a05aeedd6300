using AgentKanban.Contracts;
using AgentKanban.Daemon.Sessions;

namespace AgentKanban.Daemon.Tests.Sessions;

/// <summary>Which rejection a resumed agent must answer: only one newer than its own latest review request.</summary>
public sealed class TaskCheckTests
{
    private const string Session = "3f0c";

    public static TheoryData<string[], string?> Histories => new()
    {
        // action:session:detail, oldest first → the reason the agent must answer (null: none)
        { ["claimed:3f0c:", "review_requested:3f0c:", "rejected::add tests"], "add tests" },
        // The review request came from the session under a re-issued lease (its server id is "<id>-e<epoch>").
        { ["claimed:3f0c:", "review_requested:3f0c-e4:", "rejected::add tests"], "add tests" },
        // Answered already: a later review request.
        { ["review_requested:3f0c:", "rejected::add tests", "review_requested:3f0c-e4:"], null },
        // Rejected, then the lease lapsed: the rejection still waits for an answer.
        { ["review_requested:3f0c:", "rejected::use the new API", "lease_expired::"], "use the new API" },
        // Never asked for review: a rejection (of someone else's request) is not this session's to answer.
        { ["review_requested:other:", "rejected::no", "claimed:3f0c:"], null },
        // Another session whose id merely starts the same.
        { ["review_requested:3f0c9:", "rejected::no"], null },
        // The latest of two rejections after the request.
        { ["review_requested:3f0c:", "rejected::first", "rejected::second"], "second" },
    };

    [Theory]
    [MemberData(nameof(Histories))]
    public void An_unanswered_rejection_is_one_newer_than_the_session_s_latest_review_request(string[] history, string? expected)
    {
        var at = new DateTimeOffset(2030, 1, 1, 8, 0, 0, TimeSpan.Zero);
        var activity = history.Select((entry, i) =>
        {
            var parts = entry.Split(':');
            return new ActivityDto("a" + i, "t1", "user", "someone", parts[0], parts[2].Length == 0 ? null : parts[2],
                parts[1].Length == 0 ? null : parts[1], at.AddMinutes(i));
        }).ToList();
        var task = new TaskDto { Id = "t1", BoardId = "b1", Status = "todo", Title = "t", Activity = activity };

        Assert.Equal(expected, new TaskCheck(TaskStanding.Reclaimable, task, "lease lapsed").UnansweredRejection(Session));
    }
}
