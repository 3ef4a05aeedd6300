using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AgentKanban.Contracts;
using Npgsql;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>
/// End-to-end SSE harness (a benchmark, not a test). Run:
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --sse [--engine sqlite|postgres|both]
/// [--scenario latency|fanout|all] [--clients 100] [--changes 200] [--fanout-clients 200] [--rate 1000] [--seconds 10]
/// [--writer api|db] [--pg "Host=…"]</c>.
/// <list type="bullet">
/// <item>latency: N clients on one board stream; one message at a time; delay from sending the change to each client's frame.</item>
/// <item>fanout: M clients on one task stream while messages are posted at a target rate; delivery delay and server CPU.
/// <c>--writer db</c> (PostgreSQL only) commits the events straight into the log as another instance would, for rates
/// beyond what the API's write path sustains on the machine.</item>
/// <item>agent: M clients on one task stream while a worker session posts live agent events in batches of
/// <c>--batch</c> (default 100) at <c>--rate</c> events/s (<see cref="SseAgentEventsScenario"/>). Not part of <c>all</c>.</item>
/// </list>
/// </summary>
public static class SseHarness
{
    private const string DefaultPostgres = "Host=127.0.0.1;Port=54329;Username=postgres;Password=ak-test";
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    /// <summary>True when <paramref name="args"/> select this harness (<c>--sse</c> or the child mode <c>--sse-serve</c>).</summary>
    public static bool Handles(string[] args) => args is ["--sse", ..] or ["--sse-serve", ..];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["--sse-serve", var dataDir, ..])
        {
            return await SseServerProcess.ServeAsync(dataDir, args.Length > 2 ? args[2] : null);
        }

        var settings = Settings.Parse(args);
        foreach (var engine in settings.Engines)
        {
            await RunEngineAsync(engine, settings);
        }

        return 0;
    }

    private static async Task RunEngineAsync(string engine, Settings settings)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "ak-bench-sse-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        string? database = null;
        try
        {
            if (engine == "postgres")
            {
                database = await CreateDatabaseAsync(settings.Postgres);
            }

            await using var server = await SseServerProcess.StartAsync(dataDir, database, CancellationToken.None);
            using var api = NewClient(server, TimeSpan.FromSeconds(100));
            using var streams = NewClient(server, Timeout.InfiniteTimeSpan);
            var board = await PostAsync(api, "/api/boards", new CreateBoardRequest("bench-" + Guid.NewGuid().ToString("N")[..8], "ops"),
                ContractsJsonContext.Default.CreateBoardRequest, ContractsJsonContext.Default.BoardDto);
            var task = await PostAsync(api, "/api/tasks", new CreateTaskRequest { BoardId = board.Id, Title = "sse benchmark" },
                ContractsJsonContext.Default.CreateTaskRequest, ContractsJsonContext.Default.TaskDto);
            Console.WriteLine($"== {engine} ({Environment.ProcessorCount} cores)");
            var seq = 0;
            if (settings.Scenario is "latency" or "all")
            {
                seq = await LatencyAsync(api, streams, server, $"/api/boards/{board.Id}/events", task.Id, settings, seq);
            }

            if (settings.Scenario is "fanout" or "all")
            {
                await FanoutAsync(api, streams, server, board.Id, task.Id, database, settings, seq);
            }

            if (settings.Scenario == "agent")
            {
                await SseAgentEventsScenario.RunAsync(api, streams, server, board.Id, settings.FanoutClients, settings.Rate, settings.Seconds, settings.Batch);
            }
        }
        finally
        {
            if (database is not null)
            {
                await DropDatabaseAsync(settings.Postgres, database);
            }

            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>One change at a time, each awaited on every client: the unloaded change-to-frame delay.</summary>
    private static async Task<int> LatencyAsync(HttpClient api, HttpClient streams, SseServerProcess server, string path, string taskId, Settings settings, int seq)
    {
        const int Warmup = 20;
        var first = seq + 1;
        var last = seq + Warmup + settings.Changes;
        var sent = new long[last + 1];
        var pending = new int[last + 1];
        var done = new TaskCompletionSource[last + 1];
        var perClient = new List<long>[settings.Clients];
        var sinceCreated = new List<long>[settings.Clients];
        using var stop = new CancellationTokenSource();
        var readers = new List<Task>();
        for (var c = 0; c < settings.Clients; c++)
        {
            var samples = perClient[c] = new List<long>(settings.Changes);
            var fromEvent = sinceCreated[c] = new List<long>(settings.Changes);
            var client = new SseClient(streams, path, (n, at, created) =>
            {
                if (n < first || n > last)
                {
                    return;
                }

                if (n >= first + Warmup)
                {
                    samples.Add(at - Volatile.Read(ref sent[n]));
                    AddSinceCreated(fromEvent, at, created);
                }

                if (Interlocked.Decrement(ref pending[n]) == 0)
                {
                    done[n].TrySetResult();
                }
            });
            readers.Add(await client.ConnectAsync(stop.Token));
        }

        var roundTrip = new List<long>();
        var statsBefore = await server.StatsAsync();
        for (var n = first; n <= last; n++)
        {
            pending[n] = settings.Clients;
            done[n] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = Stopwatch.GetTimestamp();
            Volatile.Write(ref sent[n], started);
            await PostMessageAsync(api, taskId, n);
            roundTrip.Add(Stopwatch.GetTimestamp() - started);
            await done[n].Task.WaitAsync(Guard);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        var stats = new SseStats();
        foreach (var samples in perClient)
        {
            stats.AddRange(samples);
        }

        var post = new SseStats();
        post.AddRange(roundTrip.Skip(Warmup));
        var created = new SseStats();
        foreach (var samples in sinceCreated)
        {
            created.AddRange(samples);
        }

        Console.WriteLine($"latency  {settings.Clients} clients on a board stream, {settings.Changes} changes one at a time");
        Console.WriteLine($"  change sent -> frame on client: {stats.Describe()}");
        Console.WriteLine($"  event created_at -> frame:      {created.Describe()}");
        Console.WriteLine($"  (POST round trip for context:   {post.Describe()})");
        DescribeServerWork(statsBefore, await server.StatsAsync(), last - first + 1);
        return last;
    }

    /// <summary>Many clients on one task stream while changes arrive at a fixed rate: delivery delay and server CPU.</summary>
    private static async Task FanoutAsync(
        HttpClient api,
        HttpClient streams,
        SseServerProcess server,
        string boardId,
        string taskId,
        string? database,
        Settings settings,
        int seq)
    {
        await using var dataSource = settings.Writer == "db" && database is not null ? NpgsqlDataSource.Create(database) : null;
        var direct = dataSource is null
            ? null
            : new SseDirectWriter(dataSource, (await api.GetFromJsonAsync("/api/whoami", ContractsJsonContext.Default.WhoAmIDto))!.Id, boardId, taskId);
        var total = settings.Rate * settings.Seconds;
        var first = seq + 1;
        var last = seq + total;
        var sent = new long[last + 1];
        var fanout = await FanoutClients.ConnectAsync(streams, taskId, settings.FanoutClients, first, last, sent);
        var roundTrip = new SseStats();
        using var inflight = new SemaphoreSlim(64);
        var posts = new List<Task>(total);
        await fanout.StartWindowAsync(server);
        var next = first;
        while (next <= last)
        {
            // Send everything that is due by now, then yield a millisecond: a steady rate without a timer per change.
            var due = first + (int)Math.Min(total - 1, fanout.Elapsed.TotalSeconds * settings.Rate);
            for (; next <= due; next++)
            {
                await inflight.WaitAsync();
                var n = next;
                var started = Stopwatch.GetTimestamp();
                Volatile.Write(ref sent[n], started);
                posts.Add(SendAsync(n, started));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(posts);
        var sendSeconds = fanout.Elapsed.TotalSeconds;
        await fanout.ReportAsync(
            string.Create(CultureInfo.InvariantCulture,
                $"fanout   {settings.FanoutClients} clients on one task stream, {total} changes at a target {settings.Rate}/s, written via {(direct is null ? "the API" : "the event log directly")}"),
            "changes", "change sent -> frame on client", "write round trip for context", roundTrip, sendSeconds);

        async Task SendAsync(int n, long started)
        {
            try
            {
                if (direct is null)
                {
                    await PostMessageAsync(api, taskId, n);
                }
                else
                {
                    await direct.WriteAsync(n);
                }

                roundTrip.AddRange([Stopwatch.GetTimestamp() - started]);
            }
            finally
            {
                inflight.Release();
            }
        }
    }

    internal static void DescribeServerWork(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after, int changes)
    {
        long Delta(string name) => after.GetValueOrDefault(name) - before.GetValueOrDefault(name);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  server work: {Delta("ak.streams.feed.reads")} feed reads of the log ({(double)Delta("ak.streams.feed.reads") / changes:F2} per change), " +
            $"{Delta("ak.streams.catchup.reads")} per-client catch-up reads, {Delta("ak.streams.frames.sent")} frames sent"));
    }

    // Wall-clock anchor for turning Stopwatch timestamps into UTC (the server stamps created_at with the same system clock).
    private static readonly (DateTimeOffset Utc, long Ticks) Anchor = (TimeProvider.System.GetUtcNow(), Stopwatch.GetTimestamp());

    internal static void AddSinceCreated(List<long> samples, long receivedAt, DateTimeOffset? created)
    {
        if (created is { } at)
        {
            var received = Anchor.Utc + Stopwatch.GetElapsedTime(Anchor.Ticks, receivedAt);
            samples.Add((long)((received - at).TotalSeconds * Stopwatch.Frequency));
        }
    }

    internal static async Task<bool> DrainAsync(long[] received, long expectedPerClient)
    {
        var guard = Stopwatch.StartNew();
        while (guard.Elapsed < Guard)
        {
            if (received.All(r => Interlocked.Read(ref r) >= expectedPerClient))
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    private static async Task PostMessageAsync(HttpClient api, string taskId, int seq)
    {
        using var response = await api.PostAsJsonAsync($"/api/tasks/{taskId}/messages",
            new MessageRequest("bench:" + seq.ToString(CultureInfo.InvariantCulture)), ContractsJsonContext.Default.MessageRequest);
        response.EnsureSuccessStatusCode();
    }

    internal static async Task<TResponse> PostAsync<TRequest, TResponse>(
        HttpClient api,
        string path,
        TRequest body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TRequest> requestType,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TResponse> responseType)
    {
        using var response = await api.PostAsJsonAsync(path, body, requestType);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        return (await response.Content.ReadFromJsonAsync(responseType))!;
    }

    private static HttpClient NewClient(SseServerProcess server, TimeSpan timeout)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue })
        {
            BaseAddress = new Uri(server.Url),
            Timeout = timeout,
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);
        return client;
    }

    private static async Task<string> CreateDatabaseAsync(string baseConnection)
    {
        var name = "ak_bench_sse_" + Guid.NewGuid().ToString("N")[..12];
        await using var admin = new NpgsqlConnection(baseConnection);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(baseConnection) { Database = name }.ConnectionString;
    }

    private static async Task DropDatabaseAsync(string baseConnection, string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var admin = new NpgsqlConnection(baseConnection);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    private sealed record Settings(
        IReadOnlyList<string> Engines,
        string Scenario,
        int Clients,
        int Changes,
        int FanoutClients,
        int Rate,
        int Seconds,
        string Writer,
        string Postgres,
        int Batch)
    {
        public static Settings Parse(string[] args)
        {
            string Value(string name, string fallback)
            {
                var at = Array.IndexOf(args, name);
                return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
            }

            int Number(string name, int fallback) => int.Parse(Value(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

            var engine = Value("--engine", "both");
            return new Settings(
                engine == "both" ? ["sqlite", "postgres"] : [engine],
                Value("--scenario", "all"),
                Number("--clients", 100),
                Number("--changes", 200),
                Number("--fanout-clients", 200),
                Number("--rate", 1000),
                Number("--seconds", 10),
                Value("--writer", "api"),
                Value("--pg", Environment.GetEnvironmentVariable("AK_TEST_PG") is { Length: > 0 } pg ? pg : DefaultPostgres),
                Number("--batch", 100));
        }
    }
}
