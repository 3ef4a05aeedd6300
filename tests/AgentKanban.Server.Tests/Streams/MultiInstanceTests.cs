using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>Two server instances on one PostgreSQL database: streams and leases stay correct across them.</summary>
public sealed class MultiInstanceTests
{
    [Fact]
    public async Task A_change_through_one_instance_shows_on_the_other_instances_stream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync("postgres", time: null, ct);
        var a = env.Server;
        var b = await env.StartAnotherInstanceAsync(ct);
        var board = await StreamServer.CreateBoardAsync(a.Admin, "shared", ct);
        await using var onB = await SseTestStream.OpenAsync(b.Admin, $"/api/boards/{board.Id}/events", ct);

        var task = await StreamServer.CreateTaskAsync(a.Admin, board.Id, "made on A", assignedTo: null, ct);
        var frame = await onB.NextFrameAsync(ct);
        Assert.Equal(task.Id, frame.Event.TaskId);

        // And the other way round, on the same stream: ids keep increasing whichever instance wrote.
        await StreamServer.PostMessageAsync(b.Admin, task.Id, "made on B", ct);
        await StreamServer.PostMessageAsync(a.Admin, task.Id, "made on A again", ct);
        var messages = new List<SseFrame>();
        while (messages.Count < 2)
        {
            var next = await onB.NextFrameAsync(ct);
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
        var ct = TestContext.Current.CancellationToken;
        await using var env = await StreamEnvironment.StartAsync("postgres", time: null, ct);
        var a = env.Server;
        var b = await env.StartAnotherInstanceAsync(ct);
        var board = await StreamServer.CreateBoardAsync(a.Admin, "lease-race", ct);
        var agent = await StreamServer.CreateAgentAsync(a.Admin, "racer", ct);
        var taskIds = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            var owner = i % 2 == 0 ? a : b;
            taskIds.Add((await StreamServer.CreateTaskAsync(owner.Admin, board.Id, "task " + i, agent.Id, ct)).Id);
        }

        var machines = new List<(string Id, HttpClient ViaA, HttpClient ViaB)>();
        for (var m = 0; m < 16; m++)
        {
            var registration = await StreamServer.RegisterMachineAsync(a.Admin, "racer-box-" + m, ct);
            machines.Add((registration.Machine.Id, a.Client(registration.ApiKey), b.Client(registration.ApiKey)));
        }

        var grants = new ConcurrentBag<(string TaskId, string MachineId, long Epoch)>();
        var refusals = 0;
        await Task.WhenAll(machines.Select((machine, index) => Task.Run(
            async () =>
            {
                // Each machine walks all tasks in its own order and alternates between the instances.
                var order = taskIds.OrderBy(_ => Random.Shared.Next()).ToList();
                for (var i = 0; i < order.Count; i++)
                {
                    var via = (i + index) % 2 == 0 ? machine.ViaA : machine.ViaB;
                    using var response = await via.PostAsync($"/api/tasks/{order[i]}/lease", content: null, ct);
                    if (response.StatusCode == HttpStatusCode.Conflict)
                    {
                        Interlocked.Increment(ref refusals);
                        continue;
                    }

                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var lease = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.LeaseDto, ct);
                    Assert.NotNull(lease);
                    Assert.Equal(machine.Id, lease.MachineId);
                    grants.Add((order[i], machine.Id, lease.Epoch));
                }
            },
            ct)));

        foreach (var (_, viaA, viaB) in machines)
        {
            viaA.Dispose();
            viaB.Dispose();
        }

        var byTask = grants.GroupBy(g => g.TaskId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(byTask, pair => Assert.Single(pair.Value));
        Assert.Equal(taskIds.Order(StringComparer.Ordinal), byTask.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(16 * 1000 - 1000, refusals);

        // The store agrees with what the machines were told.
        using var listed = await a.Admin.GetAsync($"/api/tasks?board_id={board.Id}", ct);
        var tasks = await listed.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ListTaskDto, ct);
        Assert.NotNull(tasks);
        Assert.Equal(1000, tasks.Count);
        Assert.All(tasks, task => Assert.Equal(byTask[task.Id][0].MachineId, task.Lease?.MachineId));
    }
}
