using AgentKanban.Contracts;

namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>Wire objects for writer tests, with the awkward values a round trip must survive.</summary>
public static class Samples
{
    public static readonly DateTimeOffset Created = new(2025, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static TaskDto Task(string id = "t1", string title = "Fix login") => new()
    {
        Id = id,
        BoardId = "b1",
        Seq = 7,
        Status = "todo",
        Title = title,
        Description = "line one\nline two: with a colon\n  indented",
        RepositoryId = "r1",
        AssignedTo = "a1",
        Labels = ["bug", "true", "123"],
        DependsOn = ["t0"],
        Blocked = true,
        ScheduledAt = new DateTimeOffset(2025, 6, 1, 9, 0, 0, TimeSpan.FromHours(2)),
        Position = 3,
        CreatedAt = Created,
        UpdatedAt = Created.AddMinutes(5),
    };

    public static BoardDto Board(string id = "b1") =>
        new(id, "web", "dev", null, [new LabelDto("bug", "#d73a4a", "Something is broken")], Created, Created);
}
