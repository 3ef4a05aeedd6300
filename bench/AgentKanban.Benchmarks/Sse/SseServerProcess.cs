using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Reflection;
using System.Threading.Channels;
using AgentKanban.Server;
using AgentKanban.Server.Streams;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>
/// The board server under test, run as a child process of the benchmark (so its CPU time is measured alone):
/// the child is this same program started with <c>--sse-serve</c>.
/// </summary>
internal sealed class SseServerProcess : IAsyncDisposable
{
    private const string ReadyPrefix = "READY ";
    private const string StatsPrefix = "STATS ";

    private readonly Process _process;
    private readonly Channel<string> _stats = Channel.CreateUnbounded<string>();

    private SseServerProcess(Process process, string url, string token)
    {
        _process = process;
        Url = url;
        Token = token;
    }

    public string Url { get; }

    public string Token { get; }

    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<SseServerProcess> StartAsync(string dataDir, string? connectionString, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        start.ArgumentList.Add("--sse-serve");
        start.ArgumentList.Add(dataDir);
        if (connectionString is not null)
        {
            start.ArgumentList.Add(connectionString);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server process");
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith(ReadyPrefix, StringComparison.Ordinal))
            {
                var token = (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin-token"), cancellationToken)).Trim();
                var server = new SseServerProcess(process, line[ReadyPrefix.Length..].Trim(), token);
                _ = server.ReadOutputAsync();
                return server;
            }
        }

        throw new InvalidOperationException("the server process exited before it was ready");
    }

    /// <summary>Child side: serve until stdin closes.</summary>
    public static async Task<int> ServeAsync(string dataDir, string? connectionString)
    {
        var options = new ServerOptions
        {
            DataDir = dataDir,
            ConnectionString = connectionString,
            Urls = "http://127.0.0.1:0",
            PrintAdminToken = false,
        };
        var totals = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StreamMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value));
        listener.Start();

        await using var app = ServerHost.Build(options);
        await app.StartAsync();
        await Console.Out.WriteLineAsync(ReadyPrefix + app.Urls.First());
        await Console.Out.FlushAsync();
        while (await Console.In.ReadLineAsync() is { } command)
        {
            if (command == "stats")
            {
                var line = string.Join(' ', totals.OrderBy(t => t.Key, StringComparer.Ordinal)
                    .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}={t.Value}")));
                await Console.Out.WriteLineAsync(StatsPrefix + line);
                await Console.Out.FlushAsync();
            }
        }

        await app.StopAsync();
        return 0;
    }

    /// <summary>The server's stream counters so far (<see cref="StreamMetrics"/>), by instrument name.</summary>
    public async Task<IReadOnlyDictionary<string, long>> StatsAsync()
    {
        await _process.StandardInput.WriteLineAsync("stats");
        await _process.StandardInput.FlushAsync();
        var line = await _stats.Reader.ReadAsync();
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .ToDictionary(pair => pair[0], pair => long.Parse(pair[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private async Task ReadOutputAsync()
    {
        // Also keeps the pipe from filling up; the server logs only warnings.
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(StatsPrefix, StringComparison.Ordinal))
            {
                await _stats.Writer.WriteAsync(line[StatsPrefix.Length..]);
            }
        }
    }
}
