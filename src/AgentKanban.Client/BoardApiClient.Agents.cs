using AgentKanban.Contracts;

namespace AgentKanban.Client;

public sealed partial class BoardApiClient
{
    public Task<List<AgentDto>> ListAgentsAsync(string? runtime, string? kind, string? username, CancellationToken ct) =>
        GetAsync(WithQuery("api/agents", ("runtime", runtime), ("kind", kind), ("username", username)), Json.ListAgentDto, ct);

    /// <summary>Every agent.</summary>
    public Task<List<AgentDto>> ListAgentsAsync(CancellationToken ct) => ListAgentsAsync(null, null, null, ct);

    /// <summary>By id or by username (the server accepts either).</summary>
    public Task<AgentDto> GetAgentAsync(string idOrUsername, CancellationToken ct) =>
        GetAsync($"api/agents/{Segment(idOrUsername)}", Json.AgentDto, ct);

    public Task<AgentDto> CreateAgentAsync(CreateAgentRequest request, CancellationToken ct) =>
        PostAsync("api/agents", request, Json.CreateAgentRequest, Json.AgentDto, ct);

    public Task<AgentDto> UpdateAgentAsync(string idOrUsername, UpdateAgentRequest request, CancellationToken ct) =>
        PatchAsync($"api/agents/{Segment(idOrUsername)}", request, Json.UpdateAgentRequest, Json.AgentDto, ct);

    public Task DeleteAgentAsync(string idOrUsername, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/agents/{Segment(idOrUsername)}", null, ct);

    public Task<List<UserDto>> ListUsersAsync(CancellationToken ct) => GetAsync("api/users", Json.ListUserDto, ct);

    public Task<UserDto> GetUserAsync(string id, CancellationToken ct) => GetAsync($"api/users/{Segment(id)}", Json.UserDto, ct);

    public Task<UserWithTokenDto> CreateUserAsync(CreateUserRequest request, CancellationToken ct) =>
        PostAsync("api/users", request, Json.CreateUserRequest, Json.UserWithTokenDto, ct);

    public Task<WhoAmIDto> WhoAmIAsync(CancellationToken ct) => GetAsync("api/whoami", Json.WhoAmIDto, ct);
}
