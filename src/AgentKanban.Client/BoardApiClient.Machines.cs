using AgentKanban.Contracts;

namespace AgentKanban.Client;

public sealed partial class BoardApiClient
{
    public Task<List<MachineDto>> ListMachinesAsync(CancellationToken ct) => GetAsync("api/machines", Json.ListMachineDto, ct);

    public Task<MachineDto> GetMachineAsync(string id, CancellationToken ct) =>
        GetAsync($"api/machines/{Segment(id)}", Json.MachineDto, ct);

    public Task DeleteMachineAsync(string id, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/machines/{Segment(id)}", null, ct);

    /// <summary><c>POST /api/machines</c> with a user token: answers the machine's id and its machine key.</summary>
    public Task<MachineRegistrationDto> RegisterMachineAsync(RegisterMachineRequest request, CancellationToken ct) =>
        PostAsync("api/machines", request, Json.RegisterMachineRequest, Json.MachineRegistrationDto, ct);

    /// <summary>Renews every lease the machine holds; answers the lease length and the leases.</summary>
    public Task<HeartbeatAnswerDto> HeartbeatAsync(string machineId, HeartbeatRequest request, CancellationToken ct) =>
        PostAsync($"api/machines/{Segment(machineId)}/heartbeat", request, Json.HeartbeatRequest, Json.HeartbeatAnswerDto, ct);
}
