using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentKanban.Cli.Output;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Setup;
using AgentKanban.Daemon.Store;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Cli.Hosting;

/// <summary>
/// <c>ak daemon status</c>: whether a daemon runs on the state dir (the instance lock decides), what it said when it
/// became ready, and what its store holds (read-only). Exit 0 when a daemon runs (ready or still starting), 3 when
/// none does — the LSB convention for "not running", so scripts can tell it from a failure (1).
/// </summary>
internal static class DaemonStatusReport
{
    public const int NotRunning = 3;

    /// <summary>Dead letters the table lists (the newest); <c>-o wide</c> lists all the snapshot holds.</summary>
    private const int DeadLettersShown = 5;

    public static async Task<int> ShowAsync(CliContext context, string? stateDir, OutputFormat format, CancellationToken cancellationToken)
    {
        var paths = StatePaths.Resolve(stateDir, context.Env);
        var instance = await DaemonInstance.FindAsync(paths, cancellationToken);
        var now = context.Time.GetUtcNow();
        var (savedServer, savedMachine) = await SavedMachineAsync(paths, cancellationToken);
        StoreSnapshot? store = null;
        string? storeError = null;
        try
        {
            store = await StoreSnapshot.ReadAsync(paths.Database, now, cancellationToken);
        }
        catch (SqliteException e)
        {
            storeError = e.Message;
        }

        var state = !instance.Running ? "stopped" : instance.IsReady ? "running" : "starting";
        var ready = instance.Ready;
        var report = new JsonObject
        {
            ["state"] = state,
            ["pid"] = instance.Pid,
            ["started_at"] = ready?.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["uptime_seconds"] = ready is null ? null : (long)Math.Max(0, (now - ready.StartedAt).TotalSeconds),
            ["server"] = ready?.Server ?? savedServer,
            ["machine_id"] = ready?.MachineId ?? savedMachine,
            ["machine_name"] = ready?.MachineName,
            ["version"] = ready?.Version,
            ["sandbox"] = ready?.Sandbox,
            ["state_dir"] = paths.Root,
            ["log_file"] = paths.LogFile,
            ["stale_pid"] = instance.StalePid,
            ["sessions"] = store is null ? null : new JsonObject(store.OpenSessionsByState.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["closed_sessions"] = store?.ClosedSessions,
            ["paused_runtimes"] = store is null ? null : new JsonArray([.. store.Pauses.Select(p => (JsonNode)new JsonObject
            {
                ["runtime"] = p.Runtime,
                ["until"] = p.Until.ToString("O", CultureInfo.InvariantCulture),
                ["reason"] = p.Reason,
            })]),
            ["outbox"] = store is null ? null : new JsonObject
            {
                ["pending"] = store.PendingReports,
                ["dead_letter_count"] = store.DeadLetterCount,
                // Reports refused for good (never sent again), newest first.
                ["dead_letters"] = new JsonArray([.. store.DeadLetters.Select(d => (JsonNode)new JsonObject
                {
                    ["id"] = d.Id,
                    ["kind"] = d.Kind,
                    ["method"] = d.Method,
                    ["path"] = d.Path,
                    ["reason"] = d.Reason,
                    ["at"] = d.At.ToString("O", CultureInfo.InvariantCulture),
                    ["attempts"] = d.Attempts,
                })]),
            },
            ["store_error"] = storeError,
        };

        switch (format)
        {
            case OutputFormat.Json:
                JsonOutput.WriteNode(context.Out, report);
                break;
            case OutputFormat.Yaml:
                YamlJson.WriteDocuments(context.Out, [report]);
                break;
            case OutputFormat.Name:
                throw new UsageException("-o name does not apply to `ak daemon status` (use json, yaml or wide)");
            default:
                await WriteTableAsync(context.Out, instance, store, storeError, savedServer, savedMachine, now, format == OutputFormat.Wide);
                break;
        }

        return instance.Running ? CliApp.Success : NotRunning;
    }

    private static async Task WriteTableAsync(
        TextWriter output, DaemonInstance instance, StoreSnapshot? store, string? storeError, string? savedServer, string? savedMachine,
        DateTimeOffset now, bool wide)
    {
        var rows = new List<(string, string)>();
        var ready = instance.Ready;
        rows.Add(("state", !instance.Running ? "stopped" : ready is null ? "starting (registering with the server)" : "running"));
        if (instance.Pid is { } pid)
        {
            rows.Add(("pid", pid.ToString(CultureInfo.InvariantCulture)));
        }
        else if (instance.StalePid is { } stale)
        {
            rows.Add(("pid file", $"stale: pid {stale} holds no daemon lock (`ak daemon stop` removes it)"));
        }

        if (ready is not null)
        {
            rows.Add(("uptime", $"{Age.Format(now - ready.StartedAt)} (since {Age.Stamp(ready.StartedAt)})"));
        }

        rows.Add(("server", ready?.Server ?? savedServer ?? "-"));
        rows.Add(("machine", ready is null ? savedMachine ?? "-" : $"{ready.MachineId} ({ready.MachineName})"));
        if (ready?.Sandbox is { } sandbox)
        {
            rows.Add(("sandbox", sandbox));
        }
        if (store is null)
        {
            rows.Add(("sessions", storeError is null ? "no store yet" : "store unreadable: " + storeError));
        }
        else
        {
            var open = store.OpenSessionsByState.Count == 0
                ? "none open"
                : string.Join(", ", store.OpenSessionsByState.Select(kv => $"{kv.Key} {kv.Value}"));
            rows.Add(("sessions", $"{open}; {store.ClosedSessions} closed"));
            rows.Add(("paused", store.Pauses.Count == 0
                ? "no runtime"
                : string.Join("; ", store.Pauses.Select(p => $"{p.Runtime} until {Age.Stamp(p.Until)} (in {Age.Format(p.Until - now)})"
                                                              + (wide ? $": {p.Reason}" : "")))));
            rows.Add(("outbox", $"{store.PendingReports} pending; " + store.DeadLetterCount switch
            {
                0 => "no dead letters",
                1 => "1 dead letter (refused for good, never sent again)",
                var n => $"{n} dead letters (refused for good, never sent again)",
            }));
            var shown = wide ? store.DeadLetters : store.DeadLetters.Take(DeadLettersShown).ToList();
            foreach (var letter in shown)
            {
                var reason = wide || letter.Reason.Length <= 120 ? letter.Reason : letter.Reason[..120] + "…";
                rows.Add(("dead letter", $"{Age.Stamp(letter.At)} {letter.Kind} {letter.Method} {letter.Path}: {reason}"));
            }

            if (store.DeadLetterCount > shown.Count)
            {
                rows.Add(("dead letter", $"… {store.DeadLetterCount - shown.Count} older (-o json lists the newest {StoreSnapshot.MaxDeadLetters})"));
            }
        }

        rows.Add(("log", instance.Paths.LogFile));
        if (wide)
        {
            rows.Add(("state dir", instance.Paths.Root));
            rows.Add(("version", ready?.Version ?? "-"));
        }

        var width = rows.Max(r => r.Item1.Length) + 2;
        foreach (var (name, value) in rows)
        {
            await output.WriteLineAsync((name + ":").PadRight(width) + value);
        }
    }

    /// <summary>The server and machine id the machine key in the state dir belongs to (never the key itself).</summary>
    private static async Task<(string? Server, string? MachineId)> SavedMachineAsync(StatePaths paths, CancellationToken cancellationToken)
    {
        string? text;
        try
        {
            text = await SecureFiles.ReadIfExistsAsync(paths.MachineFile, cancellationToken);
        }
        catch (UnauthorizedAccessException)
        {
            return (null, null);
        }

        if (text is null)
        {
            return (null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return (
                root.TryGetProperty("server", out var server) ? server.GetString() : null,
                root.TryGetProperty("machine_id", out var machine) ? machine.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
