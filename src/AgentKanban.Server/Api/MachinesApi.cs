using AgentKanban.Contracts;
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
    public static readonly string[] RuntimeStatuses = ["ready", "limited", "unauthorized", "missing", "unhealthy"];

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
            var id = await MachineRows.UpsertAsync(tx, Ids.New(), caller.OwnerId, deviceId, name, os, version, Ids.Hash(apiKey), runtimes, now, ct);
            var machine = await ReadAsync(tx.Scope, caller.OwnerId, id, now, ct);
            tx.AddEvent(ServerEvents.Machine(caller.OwnerId, machine, now));
            return ApiResult.Created(new MachineRegistrationDto(machine, apiKey), ContractsJsonContext.Default.MachineRegistrationDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, ServerClock clock)
    {
        var caller = http.GetCaller();
        var now = clock.Now();
        var machines = await store.ReadAsync((db, ct) => MachineRows.ListAsync(db, caller.OwnerId, now, ct), http.RequestAborted);
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
            await TaskRows.EndLeasesAsync(tx, machine.Id, now, ct);
            await MachineRows.DeleteAsync(tx, machine.Id, ct);
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
                throw await MachineRows.ExistsAsync(tx.Scope, caller.OwnerId, id, ct)
                    ? DomainException.Forbidden("a machine may only heartbeat for itself")
                    : DomainException.NotFound("machine", Validate.Truncate(id));
            }

            await MachineRows.RecordHeartbeatAsync(tx, id, version, runtimes, usage, now, ct);
            // Leases live as long as their machine keeps heartbeating — expired ones too, as long as nobody took them over
            // (another machine's lease changes lease_machine_id, and the sweeper clears it): the epoch is the fence, not
            // the clock. A task in review keeps its machine's lease (its worktree and conversation are there) however
            // long the review takes, so a rejection goes back to the machine that did the work.
            await TaskRows.RenewLeasesAsync(tx, caller.OwnerId, id, now + options.LeaseTtl, ct);
            var leases = await TaskRows.HeldLeasesAsync(tx.Scope, caller.OwnerId, id, ct);
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

    private static async Task<MachineDto> ReadAsync(DbScope db, string ownerId, string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await MachineRows.FindAsync(db, ownerId, id, now, cancellationToken) ?? throw DomainException.NotFound("machine", Validate.Truncate(id));

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
