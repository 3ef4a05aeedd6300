namespace AgentKanban.Contracts;

/// <summary>One runtime CLI on a machine. Status: <c>ready</c>, <c>limited</c>, <c>unauthorized</c>, <c>missing</c>, <c>unhealthy</c>.</summary>
public sealed record RuntimeStatusDto(string Name, string Status, string? Detail = null, DateTimeOffset? ResetAt = null);

/// <summary>A provider usage window (e.g. Claude's five-hour window); utilization is a percentage 0–100.</summary>
public sealed record UsageWindowDto(string Runtime, string Label, double Utilization, DateTimeOffset? ResetsAt = null);

/// <summary>A model a runtime CLI on this machine offers (<c>ak get models --runtime R</c>): the name an agent's model takes.</summary>
public sealed record RuntimeModelDto(string Runtime, string Id, string? Name = null, string? Description = null);

public sealed record MachineDto
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Os { get; init; }
    public string? Version { get; init; }
    public string? DeviceId { get; init; }
    /// <summary><c>online</c> or <c>offline</c> (no heartbeat for 60 s).</summary>
    public required string Status { get; init; }
    public IReadOnlyList<RuntimeStatusDto> Runtimes { get; init; } = [];
    public IReadOnlyList<UsageWindowDto> Usage { get; init; } = [];
    public DateTimeOffset? LastHeartbeatAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary><c>POST /api/machines</c> with a user token: registers (or re-registers by device id) a machine.</summary>
public sealed record RegisterMachineRequest
{
    public string? Name { get; init; }
    public string? DeviceId { get; init; }
    public string? Os { get; init; }
    public string? Version { get; init; }
    public IReadOnlyList<RuntimeStatusDto>? Runtimes { get; init; }
}

/// <summary>Answer to a registration: the machine and its API key (<c>akm_…</c>), shown only this once.</summary>
public sealed record MachineRegistrationDto(MachineDto Machine, string ApiKey);

/// <summary><c>POST /api/machines/{id}/heartbeat</c> (machine key). Extends the machine's task leases.</summary>
public sealed record HeartbeatRequest
{
    public string? Version { get; init; }
    public IReadOnlyList<RuntimeStatusDto>? Runtimes { get; init; }
    public IReadOnlyList<UsageWindowDto>? Usage { get; init; }
}

/// <summary>
/// Answer of a heartbeat: the machine as stored, the server's lease length and clock, and every task lease the machine
/// holds after this heartbeat renewed them (todo, in progress or in review). The daemon compares the leases with its own
/// sessions: a lease without a session is given back, a session without its lease is stopped.
/// </summary>
public sealed record HeartbeatAnswerDto
{
    public required MachineDto Machine { get; init; }

    /// <summary>How long a lease lives without a heartbeat; the daemon heartbeats at no more than a third of it.</summary>
    public required long LeaseTtlMs { get; init; }

    public required DateTimeOffset ServerTime { get; init; }

    public IReadOnlyList<HeldLeaseDto> Leases { get; init; } = [];
}

/// <summary>One lease a machine holds: the task, the fencing epoch, the task's status and the session that claimed it.</summary>
public sealed record HeldLeaseDto(string TaskId, long Epoch, string Status, DateTimeOffset ExpiresAt, string? ActiveSessionId);
