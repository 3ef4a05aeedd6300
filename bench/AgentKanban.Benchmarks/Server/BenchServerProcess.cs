using System.Diagnostics;
using System.Reflection;
using AgentKanban.Server;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AgentKanban.Benchmarks.Server;

/// <summary>
/// The board server in a child process (this same benchmark program, <c>--transitions-serve</c>), so the server's own
/// CPU time can be read apart from the load generator's.
/// </summary>
internal sealed class BenchServerProcess : IAsyncDisposable
{
    public const string ServeFlag = "--transitions-serve";

    private readonly Process _process;

    private BenchServerProcess(Process process, string baseUrl, string adminToken)
    {
        _process = process;
        BaseUrl = baseUrl;
        AdminToken = adminToken;
    }

    public string BaseUrl { get; }

    public string AdminToken { get; }

    /// <summary>CPU time the server process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<BenchServerProcess> StartAsync(
        string dataDir, string? connectionString, bool withoutStreamFeed = false, SqliteSynchronous synchronous = SqliteSynchronous.Full)
    {
        var entry = Assembly.GetEntryAssembly()!.Location;
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileName(Environment.ProcessPath!) is "dotnet" or "dotnet.exe")
        {
            start.ArgumentList.Add(entry); // running under the dotnet host, not the program's own executable
        }

        start.ArgumentList.Add(ServeFlag);
        start.ArgumentList.Add(withoutStreamFeed ? "quiet" : "streams");
        start.ArgumentList.Add(synchronous.ToString());
        start.ArgumentList.Add(dataDir);
        if (connectionString is not null)
        {
            start.ArgumentList.Add(connectionString);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server process");
        var errors = process.StandardError.ReadToEndAsync();
        var output = new System.Text.StringBuilder();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("READY ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                return new BenchServerProcess(process, parts[1], parts[2]);
            }

            output.AppendLine(line);
        }

        throw new InvalidOperationException($"the server process exited before it was ready: {output}{await errors}");
    }

    /// <summary>
    /// Child side: serve until stdin closes. "quiet" replaces the live streams' wake-up with a no-op, to measure what the
    /// per-commit event feed costs (diagnostic only: live streams then fall back to their safety poll).
    /// </summary>
    public static async Task<int> ServeAsync(string mode, string synchronous, string dataDir, string? connectionString)
    {
        var app = ServerHost.Build(new ServerOptions
        {
            DataDir = dataDir,
            ConnectionString = connectionString,
            Urls = "http://127.0.0.1:0",
            PrintAdminToken = false,
            SqliteSynchronous = Enum.Parse<SqliteSynchronous>(synchronous),
        }, configureServices: mode == "quiet" ? services => services.AddSingleton<AgentKanban.Server.Storage.IEventSignal>(new QuietSignal()) : null);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        var token = (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin-token"))).Trim();
        Console.WriteLine($"READY {address} {token}");
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        await app.DisposeAsync();
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private sealed class QuietSignal : AgentKanban.Server.Storage.IEventSignal
    {
        public void Notify(long latestEventId)
        {
        }
    }
}
