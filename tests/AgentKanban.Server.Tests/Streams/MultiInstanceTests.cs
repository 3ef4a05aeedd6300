using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>Two server instances on one PostgreSQL database: streams and leases stay correct across them.</summary>
public sealed class MultiInstanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_change_through_one_instance_shows_on_the_other_instances_stream()
    {
        await using var a = await TestServer.StartAsync(DatabaseKind.Postgres, cancellationToken: Ct);
        await using var b = await a.StartAnotherInstanceAsync(Ct);
        var onA = await a.CreateUserAsync(cancellationToken: Ct);
        var onB = b.CreateClient(onA.Token);
        var board = await onA.CreateBoardAsync(cancellationToken: Ct);
        await using var stream = await SseTestStream.OpenAsync(onB, $"api/boards/{board.Id}/events", Ct);

        var task = await onA.CreateTaskAsync(board.Id, title: "made on A", cancellationToken: Ct);
        var frame = await stream.NextFrameAsync(Ct);
        Assert.Equal(task.Id, frame.Event.TaskId);

        // Both ways on the same stream: ids keep increasing whichever instance wrote.
        await StreamApi.PostMessageAsync(onB, task.Id, "made on B", Ct);
        await StreamApi.PostMessageAsync(onA.Client, task.Id, "made on A again", Ct);
        var messages = new List<SseFrame>();
        while (messages.Count < 2)
        {
            var next = await stream.NextFrameAsync(Ct);
            if (next.Type == "task.message")
            {
                messages.Add(next);
            }
        }

        Assert.Equal(["made on B", "made on A again"], messages.Select(m => m.Event.Message?.Content));
        Assert.True(messages[0].Id < messages[1].Id);
    }

    [Fact]
    public async Task Sixteen_machines_leasing_a_thousand_tasks_through_two_instances_never_lease_one_twice()
    {
        await using var a = await TestServer.StartAsync(DatabaseKind.Postgres, cancellationToken: Ct);
        await using var b = await a.StartAnotherInstanceAsync(Ct);
        var user = await a.CreateUserAsync(cancellationToken: Ct);
        var userOnB = b.CreateClient(user.Token);
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var agent = await user.CreateAgentAsync(cancellationToken: Ct);
        var created = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, 1000),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct },
            async (i, token) =>
            {
                var request = new CreateTaskRequest { BoardId = board.Id, Title = "task " + i, AssignedTo = agent.Id };
                if (i % 2 == 0)
                {
                    created.Add((await user.CreateTaskAsync(request, token)).Id);
                }
                else
                {
                    var response = await userOnB.PostJsonAsync("api/tasks", request, ContractsJsonContext.Default.CreateTaskRequest, token);
                    created.Add((await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.TaskDto, token)).Id);
                }
            });
        var taskIds = created.ToList();

        var machines = new List<(string Id, HttpClient ViaA, HttpClient ViaB)>();
        for (var m = 0; m < 16; m++)
        {
            var machine = await user.RegisterMachineAsync(cancellationToken: Ct);
            machines.Add((machine.Id, machine.Client, b.CreateClient(machine.ApiKey)));
        }

        var grants = new ConcurrentBag<(string TaskId, string MachineId)>();
        var refusals = 0;
        await Task.WhenAll(machines.Select((machine, index) => Task.Run(
            async () =>
            {
                // Each machine walks every task in its own order, alternating between the instances.
                var order = taskIds.OrderBy(_ => Random.Shared.Next()).ToList();
                for (var i = 0; i < order.Count; i++)
                {
                    var via = (i + index) % 2 == 0 ? machine.ViaA : machine.ViaB;
                    using var response = await via.PostAsync($"api/tasks/{order[i]}/lease", content: null, Ct);
                    if (response.StatusCode == HttpStatusCode.Conflict)
                    {
                        Interlocked.Increment(ref refusals);
                        continue;
                    }

                    var lease = await response.ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.LeaseDto, Ct);
                    Assert.Equal(machine.Id, lease.MachineId);
                    grants.Add((order[i], machine.Id));
                }
            },
            Ct)));

        var byTask = grants.GroupBy(g => g.TaskId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(byTask, pair => Assert.Single(pair.Value));
        Assert.Equal(taskIds.Order(StringComparer.Ordinal), byTask.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((16 * 1000) - 1000, refusals);

        // The store agrees with what the machines were told.
        var tasks = await user.Client.GetFromJsonAsync($"api/tasks?board_id={board.Id}", ContractsJsonContext.Default.ListTaskDto, Ct);
        Assert.NotNull(tasks);
        Assert.Equal(1000, tasks.Count);
        Assert.All(tasks, task => Assert.Equal(byTask[task.Id][0].MachineId, task.Lease?.MachineId));
    }
}
