using BenchmarkDotNet.Attributes;

namespace AgentKanban.Benchmarks.Server;

/// <summary>
/// One client, one task, through the real HTTP API on loopback: the worker requests review (session JWT) and the user
/// rejects it (personal token) — two compare-and-set transitions per invocation, repeatable forever. Measures the
/// latency of a single transition end to end (request, auth, transaction, events, response).
/// Run: <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --filter '*TransitionLatency*'</c>.
/// </summary>
[MemoryDiagnoser]
public class TransitionLatencyBenchmarks
{
    private BenchServer? _server;
    private Tenant? _tenant;
    private PreparedTask? _task;

    [Params("sqlite", "postgres")]
    public string Engine { get; set; } = "sqlite";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = await BenchServer.StartAsync(Engine, BenchServer.DefaultPostgres);
        _tenant = await _server.CreateTenantAsync();
        _task = await _server.PrepareTaskAsync(_tenant);
        if (!await _server.TransitionAsync(_task.TaskId, "claim", _server.SignSessionToken(_task)))
        {
            throw new InvalidOperationException("claim failed");
        }
    }

    [Benchmark(OperationsPerInvoke = 2)]
    public async Task ReviewThenReject()
    {
        var server = _server!;
        if (!await server.TransitionAsync(_task!.TaskId, "review", server.SignSessionToken(_task))
            || !await server.TransitionAsync(_task.TaskId, "reject", _tenant!.UserToken))
        {
            throw new InvalidOperationException("transition failed");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
