using System.Data.Common;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Http;
using AgentKanban.Server.Leases;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>
/// Machines: registered by a user (by device id; re-registering rotates the API key), heartbeating with their runtimes
/// and usage windows. A machine is offline after 60 s without a heartbeat (computed on read). A heartbeat extends every
/// task lease the machine holds and answers with them (<see cref="HeartbeatAnswerDto"/>).
/// </summary>
public static class MachinesApi
{
    public static readonly TimeSpan OfflineAfter = TimeSpan.FromSeconds(60);

    public static readonly string[] RuntimeStatuses = ["ready", "limited", "unauthorized", "missing", "unhealthy"];

    private const string Columns = "id, name, os, version, device_id, runtimes, usage, last_heartbeat_at, created_at";

    public static IEndpointRouteBuilder MapMachinesApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var machines = app.MapGroup("/api/machines");
        machines.MapPost("", RegisterAsync);
        machines.MapGet("", ListAsync);
        machines.MapGet("/{id}", GetAsync);
        machines.MapDelete("/{id}", DeleteAsync);
        machines.MapPost("/{id}/heartbeat", HeartbeatAsync);
        return app;
    }

    public static async Task<ApiResult> RegisterAsync(HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireUser("register machines");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.RegisterMachineRequest, optional: false, http.RequestAborted);
        var deviceId = Validate.Name("device_id", body!.DeviceId, 200);
        var name = body.Name is null ? deviceId : Validate.Name("name", body.Name, 200);
        var os = Validate.OptionalName("os", body.Os);
        var version = Validate.OptionalName("version", body.Version);
        var runtimes = ValidateRuntimes(body.Runtimes) ?? [];
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var apiKey = Ids.NewSecret(Authenticator.MachineKeyPrefix);
            var now = mutations.Clock.Now();
            var id = (string)(await tx.Command(
                    "INSERT INTO machines (id, owner_id, device_id, name, os, version, api_key_hash, runtimes, usage, last_heartbeat_at, created_at) " +
                    "VALUES (@id, @o, @d, @n, @os, @v, @h, @r, '[]', @t, @t) " +
                    "ON CONFLICT (owner_id, device_id) DO UPDATE SET name = excluded.name, os = excluded.os, version = excluded.version, " +
                    "api_key_hash = excluded.api_key_hash, runtimes = excluded.runtimes, last_heartbeat_at = excluded.last_heartbeat_at " +
                    "RETURNING id")
                .Add("@id", Ids.New()).Add("@o", caller.OwnerId).Add("@d", deviceId).Add("@n", name).Add("@os", os).Add("@v", version)
                .Add("@h", Ids.Hash(apiKey)).Add("@r", JsonSerializer.Serialize(runtimes, ServerJsonContext.Default.RuntimeList)).Add("@t", now)
                .ScalarAsync(ct))!;
            var machine = await ReadAsync(tx.Scope, caller.OwnerId, id, now, ct);
            tx.AddEvent(ServerEvents.Machine(caller.OwnerId, machine, now));
            return ApiResult.Created(new MachineRegistrationDto(machine, apiKey), ContractsJsonContext.Default.MachineRegistrationDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, ServerClock clock)
    {
        var caller = http.GetCaller();
        var now = clock.Now();
        var machines = await store.ReadAsync(async (db, ct) =>
        {
            await using var command = db.Command($"SELECT {Columns} FROM machines WHERE owner_id = @o ORDER BY name, id").Add("@o", caller.OwnerId);
            var list = new List<MachineDto>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                list.Add(Map(reader, now));
            }

            return list;
        }, http.RequestAborted);
        return ApiResult.Ok(machines, ContractsJsonContext.Default.ListMachineDto);
    }

    public static async Task<ApiResult> GetAsync(string id, HttpContext http, IStorageEngine store, ServerClock clock)
    {
        var caller = http.GetCaller();
        var machine = await store.ReadAsync((db, ct) => ReadAsync(db, caller.OwnerId, id, clock.Now(), ct), http.RequestAborted);
        return ApiResult.Ok(machine, ContractsJsonContext.Default.MachineDto);
    }

    public static async Task<ApiResult> DeleteAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireUser("delete machines");
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var machine = await ReadAsync(tx.Scope, caller.OwnerId, id, now, ct);
            // Its leases end now; the sweeper returns in-progress tasks to todo on its next pass.
            await tx.Command("UPDATE tasks SET lease_expires_at = @now WHERE lease_machine_id = @m AND lease_expires_at > @now")
                .Add("@now", now).Add("@m", machine.Id).ExecAsync(ct);
            await tx.Command("DELETE FROM machines WHERE id = @id").Add("@id", machine.Id).ExecAsync(ct);
            return ApiResult.NoContent();
        });
    }

    public static async Task<ApiResult> HeartbeatAsync(string id, HttpContext http, Mutations mutations, ServerOptions options, HeartbeatArrivals arrivals)
    {
        var self = http.GetCaller();
        self.RequireMachine("send heartbeats");
        if (self.MachineId == id)
        {
            // Before the database: the machine is alive even if what follows cannot be written.
            arrivals.Record(id, mutations.Clock.Now());
        }

        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.HeartbeatRequest, optional: true, http.RequestAborted)
                   ?? new HeartbeatRequest();
        var version = Validate.OptionalName("version", body.Version);
        var runtimes = ValidateRuntimes(body.Runtimes);
        var usage = ValidateUsage(body.Usage);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            if (id != caller.MachineId)
            {
                var exists = await tx.Command("SELECT 1 FROM machines WHERE id = @id AND owner_id = @o").Add("@id", id).Add("@o", caller.OwnerId).ScalarAsync(ct);
                throw exists is null ? DomainException.NotFound("machine", Validate.Truncate(id)) : DomainException.Forbidden("a machine may only heartbeat for itself");
            }

            await tx.Command("UPDATE machines SET last_heartbeat_at = @t, version = COALESCE(@v, version), " +
                             "runtimes = COALESCE(@r, runtimes), usage = COALESCE(@u, usage) WHERE id = @id")
                .Add("@t", now).Add("@v", version)
                .Add("@r", runtimes is null ? null : JsonSerializer.Serialize(runtimes, ServerJsonContext.Default.RuntimeList))
                .Add("@u", usage is null ? null : JsonSerializer.Serialize(usage, ServerJsonContext.Default.UsageList))
                .Add("@id", id)
                .ExecAsync(ct);
            // Leases live as long as their machine keeps heartbeating — expired ones too, as long as nobody took them over
            // (another machine's lease changes lease_machine_id, and the sweeper clears it): the epoch is the fence, not
            // the clock. A task in review keeps its machine's lease (its worktree and conversation are there) however
            // long the review takes, so a rejection goes back to the machine that did the work.
            await tx.Command("UPDATE tasks SET lease_expires_at = @exp WHERE lease_machine_id = @m AND owner_id = @o AND status IN (@a, @b, @c)")
                .Add("@exp", now + options.LeaseTtl).Add("@m", id).Add("@o", caller.OwnerId)
                .Add("@a", TaskStatusNames.Todo).Add("@b", TaskStatusNames.InProgress).Add("@c", TaskStatusNames.InReview)
                .ExecAsync(ct);
            var leases = await HeldLeasesAsync(tx.Scope, caller.OwnerId, id, ct);
            var machine = await ReadAsync(tx.Scope, caller.OwnerId, id, now, ct);
            tx.AddEvent(ServerEvents.Machine(caller.OwnerId, machine, now));
            return ApiResult.Ok(new HeartbeatAnswerDto
            {
                Machine = machine,
                LeaseTtlMs = (long)options.LeaseTtl.TotalMilliseconds,
                ServerTime = now,
                Leases = leases,
            }, ContractsJsonContext.Default.HeartbeatAnswerDto);
        });
    }

    private static async Task<List<HeldLeaseDto>> HeldLeasesAsync(DbScope db, string ownerId, string machineId, CancellationToken cancellationToken)
    {
        await using var command = db.Command(
                "SELECT id, epoch, status, lease_expires_at, active_session_id FROM tasks WHERE lease_machine_id = @m AND owner_id = @o ORDER BY id")
            .Add("@m", machineId).Add("@o", ownerId);
        var leases = new List<HeldLeaseDto>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add(new HeldLeaseDto(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetTime(3), reader.GetStringOrNull(4)));
        }

        return leases;
    }

    public static async Task<MachineDto> ReadAsync(DbScope db, string ownerId, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = db.Command($"SELECT {Columns} FROM machines WHERE owner_id = @o AND (id = @id OR name = @id) " +
                                             "ORDER BY CASE WHEN id = @id THEN 0 ELSE 1 END LIMIT 1")
            .Add("@o", ownerId).Add("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader, now) : throw DomainException.NotFound("machine", Validate.Truncate(id));
    }

    private static MachineDto Map(DbDataReader r, DateTimeOffset now)
    {
        var lastHeartbeat = r.GetTimeOrNull(7);
        return new MachineDto
        {
            Id = r.GetString(0),
            Name = r.GetString(1),
            Os = r.GetStringOrNull(2),
            Version = r.GetStringOrNull(3),
            DeviceId = r.GetStringOrNull(4),
            Runtimes = JsonSerializer.Deserialize(r.GetString(5), ServerJsonContext.Default.RuntimeList) ?? [],
            Usage = JsonSerializer.Deserialize(r.GetString(6), ServerJsonContext.Default.UsageList) ?? [],
            LastHeartbeatAt = lastHeartbeat,
            Status = lastHeartbeat is { } at && now - at < OfflineAfter ? "online" : "offline",
            CreatedAt = r.GetTime(8),
        };
    }

    private static List<RuntimeStatusDto>? ValidateRuntimes(IReadOnlyList<RuntimeStatusDto>? runtimes)
    {
        if (runtimes is null)
        {
            return null;
        }

        if (runtimes.Count > 50)
        {
            throw DomainException.Validation("runtimes", "at most 50 runtimes");
        }

        var list = new List<RuntimeStatusDto>(runtimes.Count);
        foreach (var runtime in runtimes)
        {
            if (runtime is null)
            {
                throw DomainException.Validation("runtimes", "'runtimes' must not contain null");
            }

            list.Add(new RuntimeStatusDto(
                Validate.Name("runtimes.name", runtime.Name, 50),
                Validate.OneOf("runtimes.status", runtime.Status, RuntimeStatuses),
                Validate.Text("runtimes.detail", runtime.Detail, 2000),
                runtime.ResetAt));
        }

        return list;
    }

    private static List<UsageWindowDto>? ValidateUsage(IReadOnlyList<UsageWindowDto>? usage)
    {
        if (usage is null)
        {
            return null;
        }

        if (usage.Count > 100)
        {
            throw DomainException.Validation("usage", "at most 100 usage windows");
        }

        var list = new List<UsageWindowDto>(usage.Count);
        foreach (var window in usage)
        {
            if (window is null)
            {
                throw DomainException.Validation("usage", "'usage' must not contain null");
            }

            if (double.IsNaN(window.Utilization) || window.Utilization is < 0 or > 100)
            {
                throw DomainException.Validation("usage.utilization", "'utilization' is a percentage from 0 to 100");
            }

            list.Add(new UsageWindowDto(
                Validate.Name("usage.runtime", window.Runtime, 50),
                Validate.Name("usage.label", window.Label, 100),
                window.Utilization,
                window.ResetsAt));
        }

        return list;
    }
}
