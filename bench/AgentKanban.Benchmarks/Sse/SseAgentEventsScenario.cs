using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Contracts.Auth;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>
/// The live agent-event relay under load: M clients on one task stream while a worker session posts its events in
/// batches (<c>POST /api/sessions/{id}/events</c>, signed with the session's key, as the daemon's relay does) at a
/// target rate. Reports the delay from posting a batch to each client's frame of each event, and server CPU.
/// The server keeps its default 1,000 events per session, so pruning runs on every batch once that many exist.
/// </summary>
internal static class SseAgentEventsScenario
{
    public static async Task RunAsync(HttpClient api, HttpClient streams, SseServerProcess server, string boardId, int fanoutClients, int rate, int seconds, int batchSize)
    {
        var session = await OpenSessionAsync(api, server, boardId);
        using var poster = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 8 }) { BaseAddress = new Uri(server.Url) };
        var total = rate * seconds;
        var sent = new long[total + 1];
        var fanout = await FanoutClients.ConnectAsync(streams, session.TaskId, fanoutClients, 1, total, sent);
        var roundTrip = new SseStats();
        await fanout.StartWindowAsync(server);
        var next = 1;
        // One batch in flight at a time, like the daemon's relay: a slow answer delays the next batch, never reorders.
        while (next <= total)
        {
            var due = (int)Math.Min(total, fanout.Elapsed.TotalSeconds * rate);
            if (due - next + 1 < batchSize && due < total)
            {
                await Task.Delay(1);
                continue;
            }

            var count = Math.Min(batchSize, total - next + 1);
            var started = Stopwatch.GetTimestamp();
            for (var n = next; n < next + count; n++)
            {
                Volatile.Write(ref sent[n], started);
            }

            await PostBatchAsync(poster, server, session, next, count);
            roundTrip.AddRange([Stopwatch.GetTimestamp() - started]);
            next += count;
        }

        var sendSeconds = fanout.Elapsed.TotalSeconds;
        await fanout.ReportAsync(
            string.Create(CultureInfo.InvariantCulture,
                $"agent    {fanoutClients} clients on one task stream, {total} agent events at a target {rate}/s in batches of {batchSize} (POST /api/sessions/{{id}}/events)"),
            "events", "batch posted -> frame on client", "batch POST round trip", roundTrip, sendSeconds);
    }

    private sealed record BenchSession(string Id, string TaskId, string PrivateKey);

    /// <summary>A worker agent, a machine holding the lease of a task assigned to it, and an open session on that task.</summary>
    private static async Task<BenchSession> OpenSessionAsync(HttpClient api, SseServerProcess server, string boardId)
    {
        var json = ContractsJsonContext.Default;
        var unique = Guid.NewGuid().ToString("N")[..8];
        var agent = await SseHarness.PostAsync(api, "/api/agents", new CreateAgentRequest { Username = "bench-" + unique, Kind = "worker", Runtime = "claude" },
            json.CreateAgentRequest, json.AgentDto);
        var task = await SseHarness.PostAsync(api, "/api/tasks", new CreateTaskRequest { BoardId = boardId, Title = "agent events", AssignedTo = agent.Id },
            json.CreateTaskRequest, json.TaskDto);
        var registration = await SseHarness.PostAsync(api, "/api/machines", new RegisterMachineRequest { DeviceId = "bench-" + unique, Name = "bench" },
            json.RegisterMachineRequest, json.MachineRegistrationDto);
        using var machine = new HttpClient { BaseAddress = new Uri(server.Url) };
        machine.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", registration.ApiKey);
        var lease = await SseHarness.PostAsync(machine, $"/api/tasks/{task.Id}/lease", new TransitionRequest(), json.TransitionRequest, json.LeaseDto);
        var (privateKey, publicKey) = SessionToken.GenerateKeyPair();
        var session = await SseHarness.PostAsync(machine, "/api/sessions",
            new OpenSessionRequest { AgentId = agent.Id, TaskId = task.Id, Epoch = lease.Epoch, PublicKey = publicKey }, json.OpenSessionRequest, json.SessionDto);
        return new BenchSession(session.Id, task.Id, privateKey);
    }

    /// <summary>Events first..first+count-1 as tool results whose content is the benchmark marker the clients look for.</summary>
    private static async Task PostBatchAsync(HttpClient poster, SseServerProcess server, BenchSession session, int first, int count)
    {
        var now = TimeProvider.System.GetUtcNow();
        var events = new List<AgentEventDto>(count);
        for (var n = first; n < first + count; n++)
        {
            events.Add(new AgentEventDto
            {
                Seq = n,
                Kind = AgentEventKinds.ToolResult,
                At = now,
                Data = JsonSerializer.SerializeToElement(
                    new AgentToolResultData("toolu_bench", "bench:" + n.ToString(CultureInfo.InvariantCulture), false, false),
                    ContractsJsonContext.Default.AgentToolResultData),
            });
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/sessions/{session.Id}/events")
        {
            Content = new StringContent(JsonSerializer.Serialize(new AgentEventBatchRequest { Events = events }, ContractsJsonContext.Default.AgentEventBatchRequest),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SessionToken.Create(session.Id, server.Url.TrimEnd('/'), session.PrivateKey, now));
        using var response = await poster.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST agent events: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
