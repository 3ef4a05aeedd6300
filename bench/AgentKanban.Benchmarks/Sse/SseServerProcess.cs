using System.Diagnostics;
using System.Reflection;
using AgentKanban.Server;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>
/// The board server under test, run as a child process of the benchmark (so its CPU time is measured alone):
/// the child is this same program started with <c>--sse-serve</c>.
/// </summary>
internal sealed class SseServerProcess : IAsyncDisposable
{
    private const string ReadyPrefix = "READY ";

    private readonly Process _process;

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
                _ = DrainAsync(process.StandardOutput);
                return new SseServerProcess(process, line[ReadyPrefix.Length..].Trim(), token);
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
        await using var app = ServerHost.Build(options);
        await app.StartAsync();
        await Console.Out.WriteLineAsync(ReadyPrefix + app.Urls.First());
        await Console.Out.FlushAsync();
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
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

    private static async Task DrainAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is not null)
        {
            // Keep the pipe from filling up; the server logs only warnings.
        }
    }
}
