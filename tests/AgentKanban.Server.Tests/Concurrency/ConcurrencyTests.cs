using System.Collections.Concurrent;
using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Concurrency;

public abstract class ConcurrencyTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task Of_32_concurrent_claimers_exactly_one_wins()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, agent.Id, cancellationToken: Ct);
        var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
        var lease = await machine.LeaseAsync(task.Id, Ct);
        var sessions = new List<TestSession>();
        for (var i = 0; i < 32; i++)
        {
            sessions.Add(await machine.OpenSessionAsync(agent.Id, task.Id, lease.Epoch, Ct));
        }

        var statuses = await Race(sessions.Select(s => (Func<Task<HttpStatusCode>>)(async () =>
            (await TransitionAsync(s.Client, task.Id, "claim")).StatusCode)));

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(31, statuses.Count(s => s == HttpStatusCode.Conflict));
        var after = await user.GetTaskAsync(task.Id, Ct);
        Assert.Equal("in_progress", after.Status);
        Assert.Single(after.Activity!, a => a.Action == "claimed");
        Assert.Contains(sessions, s => s.Id == after.ActiveSessionId);
    }

    [Fact]
    public async Task Sixteen_machines_leasing_a_thousand_tasks_never_lease_one_twice()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var tasks = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, _) =>
            tasks.Add((await user.CreateTaskAsync(board.Id, agent.Id, "t" + i, Ct)).Id));
        var machines = new List<TestMachine>();
        for (var i = 0; i < 16; i++)
        {
            machines.Add(await user.RegisterMachineAsync(cancellationToken: Ct));
        }

        var winners = await LeaseEverythingAsync(machines.Select(m => m.Client).ToList(), tasks.ToList());

        Assert.Equal(1000, winners.Count);
        Assert.All(winners.Values, w => Assert.Single(w.Distinct()));
        // The store agrees: each task is leased by exactly the machine that was told it won, at epoch 1.
        var stored = await (await user.Client.GetAsync("api/tasks?board_id=" + board.Id, Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListTaskDto, Ct);
        Assert.Equal(1000, stored.Count);
        Assert.All(stored, t => Assert.Equal((winners[t.Id].Single(), 1L), (t.Lease!.MachineId, t.Lease.Epoch)));
    }

    /// <summary>
    /// Every client walks all tasks in its own random order and tries to lease each one not yet known taken. Returns,
    /// per task, the distinct machines that were granted it (the caller asserts there is exactly one).
    /// </summary>
    internal static async Task<ConcurrentDictionary<string, ConcurrentBag<string>>> LeaseEverythingAsync(IReadOnlyList<HttpClient> machines, IReadOnlyList<string> taskIds)
    {
        var winners = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        var failures = new ConcurrentBag<string>();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = machines.Select((client, index) => Task.Run(async () =>
        {
            await start.Task;
            var order = taskIds.OrderBy(_ => Random.Shared.Next()).ToList();
            foreach (var id in order)
            {
                if (winners.ContainsKey(id))
                {
                    continue;
                }

                var response = await client.PostAsync($"api/tasks/{id}/lease", null, Ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var lease = await response.ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.LeaseDto, Ct);
                    winners.GetOrAdd(id, _ => []).Add(lease.MachineId);
                }
                else if (response.StatusCode != HttpStatusCode.Conflict)
                {
                    failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
                }
            }
        }, Ct)).ToList();
        start.SetResult();
        await Task.WhenAll(runs);
        Assert.Empty(failures);
        return winners;
    }

    /// <summary>Starts all the calls at once (after every one is ready) and returns their outcomes.</summary>
    internal static async Task<List<HttpStatusCode>> Race(IEnumerable<Func<Task<HttpStatusCode>>> calls)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = calls.Select(call => Task.Run(async () =>
        {
            await start.Task;
            return await call();
        }, Ct)).ToList();
        start.SetResult();
        return (await Task.WhenAll(running)).ToList();
    }
}

public sealed class ConcurrencySqliteTests(SqliteServerFixture fixture) : ConcurrencyTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class ConcurrencyPostgresTests(PostgresServerFixture fixture) : ConcurrencyTests(fixture), IClassFixture<PostgresServerFixture>;
