using System.Diagnostics;
using System.Globalization;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>
/// Many clients on one task stream, each recording for the numbered events <c>first..last</c> the delay from the moment
/// the sender stamped it (<c>sent[n]</c>) and from the event's <c>created_at</c>; plus the server-CPU window around the
/// sending. Shared by the fan-out scenarios (message writes and agent-event batches).
/// </summary>
internal sealed class FanoutClients
{
    private readonly List<long>[] _delays;
    private readonly List<long>[] _sinceCreated;
    private readonly long[] _received;
    private readonly List<Task> _readers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly int _expected;
    private SseServerProcess? _server;
    private IReadOnlyDictionary<string, long>? _statsBefore;
    private TimeSpan _cpuBefore;
    private TimeSpan _harnessCpuBefore;
    private Stopwatch? _clock;

    private FanoutClients(int clients, int expected)
    {
        _delays = new List<long>[clients];
        _sinceCreated = new List<long>[clients];
        _received = new long[clients];
        _expected = expected;
    }

    /// <summary>Seconds since <see cref="StartWindowAsync"/>.</summary>
    public TimeSpan Elapsed => _clock!.Elapsed;

    public static async Task<FanoutClients> ConnectAsync(HttpClient streams, string taskId, int clients, int first, int last, long[] sent)
    {
        var fanout = new FanoutClients(clients, last - first + 1);
        for (var c = 0; c < clients; c++)
        {
            var index = c;
            var samples = fanout._delays[c] = new List<long>(fanout._expected);
            var fromEvent = fanout._sinceCreated[c] = new List<long>(fanout._expected);
            var client = new SseClient(streams, $"/api/tasks/{taskId}/events", (n, at, created) =>
            {
                if (n < first || n > last)
                {
                    return;
                }

                samples.Add(at - Volatile.Read(ref sent[n]));
                SseHarness.AddSinceCreated(fromEvent, at, created);
                Interlocked.Increment(ref fanout._received[index]);
            });
            fanout._readers.Add(await client.ConnectAsync(fanout._stop.Token));
        }

        return fanout;
    }

    /// <summary>Starts the clock and the CPU counters: call right before sending.</summary>
    public async Task StartWindowAsync(SseServerProcess server)
    {
        _server = server;
        _statsBefore = await server.StatsAsync();
        _cpuBefore = server.CpuTime;
        _harnessCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        _clock = Stopwatch.StartNew();
    }

    /// <summary>
    /// After sending: waits (bounded) for every client to get every event, stops the clients and prints what they saw
    /// and what the server spent. <paramref name="sendSeconds"/> is how long sending took.
    /// </summary>
    public async Task ReportAsync(string headline, string unit, string delayLabel, string roundTripLabel, SseStats roundTrip, double sendSeconds)
    {
        var drained = await SseHarness.DrainAsync(_received, _expected);
        var wall = _clock!.Elapsed.TotalSeconds;
        var cpu = (_server!.CpuTime - _cpuBefore).TotalSeconds;
        var statsAfter = await _server.StatsAsync();
        var harnessCpu = (Process.GetCurrentProcess().TotalProcessorTime - _harnessCpuBefore).TotalSeconds;
        await _stop.CancelAsync();
        await Task.WhenAll(_readers);
        _stop.Dispose();

        var received = _received.Sum();
        var missing = (long)_expected * _received.Length - received;
        Console.WriteLine(headline);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  achieved {_expected / sendSeconds:F0} {unit}/s, {received / wall:F0} frames/s delivered, missing {missing}{(drained ? "" : " (drain timed out)")}"));
        Console.WriteLine($"  {Label(delayLabel)}{Merge(_delays).Describe()}");
        Console.WriteLine($"  {Label("event created_at -> frame")}{Merge(_sinceCreated).Describe()}");
        Console.WriteLine($"  ({Label(roundTripLabel)}{roundTrip.Describe()})");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  server CPU: {cpu:F2} s over {wall:F2} s = {100 * cpu / wall:F0}% of one core (harness, clients included: {100 * harnessCpu / wall:F0}%)"));
        SseHarness.DescribeServerWork(_statsBefore!, statsAfter, _expected);
    }

    private static string Label(string text) => (text + ":").PadRight(33);

    private static SseStats Merge(List<long>[] perClient)
    {
        var stats = new SseStats();
        foreach (var samples in perClient)
        {
            stats.AddRange(samples);
        }

        return stats;
    }
}
