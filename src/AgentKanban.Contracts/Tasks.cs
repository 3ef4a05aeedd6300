namespace AgentKanban.Contracts;

/// <summary>
/// A task as the API returns it. <see cref="Activity"/> and <see cref="Messages"/> are filled only by
/// <c>GET /api/tasks/{id}</c> (omitted from lists).
/// </summary>
public sealed record TaskDto
{
    public required string Id { get; init; }
    public required string BoardId { get; init; }
    public long Seq { get; init; }
    public required string Status { get; init; }
    public required string Title { get; init; }
    public string? Description { get; init; }
    public string? RepositoryId { get; init; }
    /// <summary>Agent id of the assignee.</summary>
    public string? AssignedTo { get; init; }
    public string? PrUrl { get; init; }
    public IReadOnlyList<string> Labels { get; init; } = [];
    public IReadOnlyList<string> DependsOn { get; init; } = [];
    /// <summary>Some dependency is neither done nor cancelled.</summary>
    public bool Blocked { get; init; }
    public DateTimeOffset? ScheduledAt { get; init; }
    public string? ParentId { get; init; }
    public long Position { get; init; }
    public string? CreatedBy { get; init; }
    /// <summary>Fencing number: bumped every time a lease is granted or expires.</summary>
    public long Epoch { get; init; }
    public TaskLeaseDto? Lease { get; init; }
    /// <summary>The latest reason a daemon gave for not running this task.</summary>
    public string? Why { get; init; }
    public DateTimeOffset? WhyAt { get; init; }
    public string? ActiveSessionId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public IReadOnlyList<ActivityDto>? Activity { get; init; }
    public IReadOnlyList<MessageDto>? Messages { get; init; }
}

public sealed record TaskLeaseDto(string MachineId, long Epoch, DateTimeOffset ExpiresAt);

/// <summary><c>POST /api/tasks</c>. Board, repository and assignee accept an id.</summary>
public sealed record CreateTaskRequest
{
    public string? BoardId { get; init; }
    public string? Title { get; init; }
    public string? Description { get; init; }
    public string? RepositoryId { get; init; }
    public string? AssignedTo { get; init; }
    public IReadOnlyList<string>? Labels { get; init; }
    public IReadOnlyList<string>? DependsOn { get; init; }
    /// <summary>ISO-8601 with a time zone (a zone-less time is refused).</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(Json.ZonedDateTimeOffsetConverter))]
    public DateTimeOffset? ScheduledAt { get; init; }
    public string? ParentId { get; init; }
}

/// <summary>
/// <c>PATCH /api/tasks/{id}</c>. A field left out stays as it is; to clear a nullable field send an empty
/// string (or an empty list for <c>labels</c>/<c>depends_on</c>). <c>depends_on</c> replaces the whole set.
/// </summary>
public sealed record UpdateTaskRequest
{
    public string? Title { get; init; }
    public string? Description { get; init; }
    public string? RepositoryId { get; init; }
    public string? AssignedTo { get; init; }
    public string? PrUrl { get; init; }
    public IReadOnlyList<string>? Labels { get; init; }
    public IReadOnlyList<string>? DependsOn { get; init; }
    /// <summary>ISO-8601 with zone; empty string clears.</summary>
    public string? ScheduledAt { get; init; }
    public long? Position { get; init; }
}

/// <summary>
/// Body of <c>POST /api/tasks/{id}/{claim|review|reject|complete|cancel|release}</c> (all optional). A machine may pass
/// the <c>epoch</c> it leased the task with: the transition then applies only if the task is still at that epoch.
/// </summary>
public sealed record TransitionRequest(string? PrUrl = null, string? Reason = null, long? Epoch = null);

public sealed record ActivityDto(
    string Id,
    string TaskId,
    string ActorType,
    string ActorId,
    string Action,
    string? Detail,
    string? SessionId,
    DateTimeOffset CreatedAt);

public sealed record MessageDto(
    string Id,
    string TaskId,
    string SenderType,
    string SenderId,
    string Content,
    DateTimeOffset CreatedAt);

/// <summary><c>POST /api/tasks/{id}/notes</c>.</summary>
public sealed record NoteRequest(string? Detail);

/// <summary><c>POST /api/tasks/{id}/messages</c>.</summary>
public sealed record MessageRequest(string? Content);

/// <summary><c>PUT /api/tasks/{id}/why</c> (machine): why the daemon is not running this task.</summary>
public sealed record WhyRequest(string? Reason);

/// <summary>
/// Answer of <c>POST /api/tasks/{id}/lease</c>. <c>ttl_ms</c> is the server's lease length: the holder keeps the lease by
/// heartbeating well within it.
/// </summary>
public sealed record LeaseDto(string TaskId, string MachineId, long Epoch, DateTimeOffset ExpiresAt, long TtlMs = 0);
