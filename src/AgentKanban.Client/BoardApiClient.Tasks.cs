using AgentKanban.Contracts;

namespace AgentKanban.Client;

public sealed partial class BoardApiClient
{
    public Task<List<TaskDto>> ListTasksAsync(TaskFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var path = WithQuery("api/tasks", ("board_id", filter.BoardId), ("status", filter.Status), ("label", filter.Label),
            ("assigned_to", filter.AssignedTo), ("repository_id", filter.RepositoryId));
        return GetAsync(path, Json.ListTaskDto, ct);
    }

    /// <summary><c>GET /api/tasks?{query}</c> with a query already in URL form (<c>status=todo</c>).</summary>
    public Task<List<TaskDto>> ListTasksAsync(string query, CancellationToken ct) =>
        GetAsync($"api/tasks?{query}", Json.ListTaskDto, ct);

    /// <summary>The task with its activity and messages.</summary>
    public Task<TaskDto> GetTaskAsync(string id, CancellationToken ct) => GetAsync($"api/tasks/{Segment(id)}", Json.TaskDto, ct);

    /// <summary>The task, or null when it no longer exists.</summary>
    public Task<TaskDto?> FindTaskAsync(string id, CancellationToken ct) => FindAsync($"api/tasks/{Segment(id)}", Json.TaskDto, ct);

    public Task<TaskDto> CreateTaskAsync(CreateTaskRequest request, CancellationToken ct) =>
        PostAsync("api/tasks", request, Json.CreateTaskRequest, Json.TaskDto, ct);

    public Task<TaskDto> UpdateTaskAsync(string id, UpdateTaskRequest request, CancellationToken ct) =>
        PatchAsync($"api/tasks/{Segment(id)}", request, Json.UpdateTaskRequest, Json.TaskDto, ct);

    public Task DeleteTaskAsync(string id, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/tasks/{Segment(id)}", null, ct);

    /// <summary><c>POST /api/tasks/{id}/{verb}</c> (claim, review, reject, complete, cancel, release).</summary>
    public Task<TaskDto> TransitionTaskAsync(string id, string verb, TransitionRequest request, CancellationToken ct) =>
        PostAsync($"api/tasks/{Segment(id)}/{verb}", request, Json.TransitionRequest, Json.TaskDto, ct);

    /// <summary>
    /// <c>POST /api/tasks/{id}/claim</c> as the agent session <paramref name="bearer"/> was signed for (the daemon holds
    /// its key). Idempotent on the server for the session that already holds the claim. Null when the claim was taken
    /// (2xx) but its answer could not be read.
    /// </summary>
    public async Task<TaskDto?> ClaimAsSessionAsync(string taskId, string bearer, CancellationToken ct)
    {
        using var request = NewRequest(HttpMethod.Post, $"api/tasks/{Segment(taskId)}/claim", EmptyObject(), null, bearer);
        return await SendTolerantAsync(request, Json.TaskDto, ct);
    }

    /// <summary><c>POST /api/tasks/{id}/lease</c>: this machine's lease of a todo task (compare-and-set, a new epoch).</summary>
    public Task<LeaseDto> LeaseAsync(string taskId, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"api/tasks/{Segment(taskId)}/lease", EmptyObject(), Json.LeaseDto, ct);

    public Task<ActivityDto> AddNoteAsync(string id, string detail, CancellationToken ct) =>
        PostAsync($"api/tasks/{Segment(id)}/notes", new NoteRequest(detail), Json.NoteRequest, Json.ActivityDto, ct);

    public Task<List<ActivityDto>> ListNotesAsync(string id, CancellationToken ct) =>
        GetAsync($"api/tasks/{Segment(id)}/notes", Json.ListActivityDto, ct);

    public Task<MessageDto> AddMessageAsync(string id, string content, CancellationToken ct) =>
        PostAsync($"api/tasks/{Segment(id)}/messages", new MessageRequest(content), Json.MessageRequest, Json.MessageDto, ct);

    public Task<List<MessageDto>> ListMessagesAsync(string id, CancellationToken ct) =>
        GetAsync($"api/tasks/{Segment(id)}/messages", Json.ListMessageDto, ct);
}

/// <summary>Filters of <c>GET /api/tasks</c> (ids, already resolved from names).</summary>
public sealed record TaskFilter(
    string? BoardId = null,
    string? Status = null,
    string? Label = null,
    string? AssignedTo = null,
    string? RepositoryId = null);
