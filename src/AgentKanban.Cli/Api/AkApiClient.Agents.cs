using AgentKanban.Contracts;

namespace AgentKanban.Cli.Api;

public sealed partial class AkApiClient
{
    public Task<List<AgentDto>> ListAgentsAsync(string? runtime, string? kind, string? username, CancellationToken ct) =>
        GetAsync(WithQuery("api/agents", ("runtime", runtime), ("kind", kind), ("username", username)), Json.ListAgentDto, ct);

    /// <summary>By id or by username (the server accepts either).</summary>
    public Task<AgentDto> GetAgentAsync(string idOrUsername, CancellationToken ct) =>
        GetAsync($"api/agents/{Segment(idOrUsername)}", Json.AgentDto, ct);

    public Task<AgentDto> CreateAgentAsync(CreateAgentRequest request, CancellationToken ct) =>
        PostAsync("api/agents", request, Json.CreateAgentRequest, Json.AgentDto, ct);

    public Task<AgentDto> UpdateAgentAsync(string idOrUsername, UpdateAgentRequest request, CancellationToken ct) =>
        PatchAsync($"api/agents/{Segment(idOrUsername)}", request, Json.UpdateAgentRequest, Json.AgentDto, ct);

    public Task DeleteAgentAsync(string idOrUsername, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/agents/{Segment(idOrUsername)}", ct);

    public Task<List<MachineDto>> ListMachinesAsync(CancellationToken ct) => GetAsync("api/machines", Json.ListMachineDto, ct);

    public Task<MachineDto> GetMachineAsync(string id, CancellationToken ct) =>
        GetAsync($"api/machines/{Segment(id)}", Json.MachineDto, ct);

    public Task DeleteMachineAsync(string id, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/machines/{Segment(id)}", ct);

    public Task<List<SessionDto>> ListSessionsAsync(SessionFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var path = WithQuery("api/sessions", ("task_id", filter.TaskId), ("agent_id", filter.AgentId),
            ("machine_id", filter.MachineId), ("status", filter.Status));
        return GetAsync(path, Json.ListSessionDto, ct);
    }

    public Task<SessionDto> GetSessionAsync(string id, CancellationToken ct) =>
        GetAsync($"api/sessions/{Segment(id)}", Json.SessionDto, ct);

    public Task<List<UserDto>> ListUsersAsync(CancellationToken ct) => GetAsync("api/users", Json.ListUserDto, ct);

    public Task<UserDto> GetUserAsync(string id, CancellationToken ct) => GetAsync($"api/users/{Segment(id)}", Json.UserDto, ct);

    public Task<UserWithTokenDto> CreateUserAsync(CreateUserRequest request, CancellationToken ct) =>
        PostAsync("api/users", request, Json.CreateUserRequest, Json.UserWithTokenDto, ct);

    public Task<WhoAmIDto> WhoAmIAsync(CancellationToken ct) => GetAsync("api/whoami", Json.WhoAmIDto, ct);
}

/// <summary>Filters of <c>GET /api/sessions</c>.</summary>
public sealed record SessionFilter(string? TaskId = null, string? AgentId = null, string? MachineId = null, string? Status = null);
