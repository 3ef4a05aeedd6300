namespace AgentKanban.Server.Data;

/// <summary>A new value for a column, which may be NULL (clearing it); a patch leaves a column alone with a null <see cref="Change{T}"/>.</summary>
public readonly record struct Change<T>(T Value);

/// <summary>
/// The columns a <c>PATCH /api/tasks/{id}</c> changes, already validated and resolved to ids. A null property leaves its
/// column alone; <see cref="TaskRows.UpdateAsync"/> writes exactly the ones that are set.
/// </summary>
public sealed record TaskPatch
{
    /// <summary>A new title (a title cannot be cleared).</summary>
    public string? Title { get; init; }

    public Change<string?>? Description { get; init; }

    public Change<string?>? RepositoryId { get; init; }

    public Change<string?>? PrUrl { get; init; }

    public Change<DateTimeOffset?>? ScheduledAt { get; init; }

    public long? Position { get; init; }

    /// <summary>
    /// A different assignee (or none). It invalidates any lease taken for the old one — the lease is dropped and the
    /// epoch bumped — and is allowed only while the task is todo (the update then changes no row).
    /// </summary>
    public Change<string?>? AssignedTo { get; init; }

    /// <summary>True when no column is set.</summary>
    public bool IsEmpty => this == new TaskPatch();
}
