using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentKanban.Cli.Tests.Infrastructure;
using AgentKanban.Daemon.Infrastructure;

namespace AgentKanban.Cli.Tests.Executable;

/// <summary>
/// <c>ak daemon start|stop|status|logs</c> and the one-daemon-per-state-dir rule, through the built <c>ak</c> and a
/// real server on 127.0.0.1. Every daemon a test starts is killed on the way out, whatever the test did.
/// </summary>
public sealed class DaemonControlTests(BoardServer server) : IClassFixture<BoardServer>, IDisposable
{
    private readonly TempDirectory _home = new();

    private string StateDir => _home.Combine("state");

    private string LockFile => Path.Combine(StateDir, "daemon.lock");

    private string PidFile => Path.Combine(StateDir, "daemon.pid");

    private Dictionary<string, string?> Env => new() { ["AK_SERVER"] = server.Url, ["AK_TOKEN"] = server.AdminToken };

    public void Dispose()
    {
        if (InstanceLock.Holder(LockFile) is { } pid and > 0)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-KILL", pid.ToString(CultureInfo.InvariantCulture) } });
            kill?.WaitForExit();
        }

        _home.Dispose();
    }

    [Fact]
    public async Task Start_status_second_start_logs_stop_status()
    {
        var start = await Ak("daemon", "start", "--state", StateDir);
        Assert.True(start.ExitCode == 0, start.ToString());
        var pid = ReadPid();
        Assert.Contains($"pid {pid}", start.Out, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(StateDir, "logs", "daemon.log"), start.Out, StringComparison.Ordinal);
        // Detached: the daemon leads a session of its own, so the terminal's hang-up or Ctrl-C never reaches it.
        Assert.Equal(pid.ToString(CultureInfo.InvariantCulture), StatFields(pid)[3]);
        Assert.Equal(pid, InstanceLock.Holder(LockFile));
        // The daemon's own runtime settings (see DaemonStarter) reach the daemon, and the daemon alone.
        var environ = (await File.ReadAllTextAsync($"/proc/{pid}/environ", TestContext.Current.CancellationToken)).Split('\0');
        Assert.Contains("DOTNET_TieredCompilation=0", environ);
        Assert.Contains("--own-env\0DOTNET_TieredCompilation", await File.ReadAllTextAsync($"/proc/{pid}/cmdline", TestContext.Current.CancellationToken),
            StringComparison.Ordinal);

        var status = await Ak("daemon", "status", "--state", StateDir);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("running", status.Out, StringComparison.Ordinal);
        Assert.Contains(server.Url, status.Out, StringComparison.Ordinal);

        var json = await Ak("daemon", "status", "--state", StateDir, "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using (var document = JsonDocument.Parse(json.Out))
        {
            var root = document.RootElement;
            Assert.Equal("running", root.GetProperty("state").GetString());
            Assert.Equal(pid, root.GetProperty("pid").GetInt32());
            Assert.Equal(server.Url, root.GetProperty("server").GetString());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("machine_id").GetString()));
            Assert.Equal(JsonValueKind.Object, root.GetProperty("sessions").ValueKind);
            Assert.Equal(0, root.GetProperty("paused_runtimes").GetArrayLength());
        }

        var second = await Ak("daemon", "start", "--state", StateDir);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("already runs", second.Err, StringComparison.Ordinal);
        Assert.Contains($"pid {pid}", second.Err, StringComparison.Ordinal);
        Assert.Equal(pid, InstanceLock.Holder(LockFile));

        var logs = await Ak("daemon", "logs", "--state", StateDir);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("Daemon started", logs.Out, StringComparison.Ordinal);
        var last = await Ak("daemon", "logs", "--state", StateDir, "--tail", "1");
        Assert.Single(last.Out.TrimEnd('\n').Split('\n'));
        Assert.EndsWith(last.Out, logs.Out, StringComparison.Ordinal);

        var stop = await Ak("daemon", "stop", "--state", StateDir);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"daemon stopped (pid {pid})", stop.Out, StringComparison.Ordinal);
        Assert.False(Alive(pid));
        Assert.Null(InstanceLock.Holder(LockFile));
        Assert.False(File.Exists(PidFile));
        Assert.Contains("Daemon stopped", await File.ReadAllTextAsync(Path.Combine(StateDir, "logs", "daemon.log"), TestContext.Current.CancellationToken),
            StringComparison.Ordinal);

        var after = await Ak("daemon", "status", "--state", StateDir);
        Assert.Equal(3, after.ExitCode);
        Assert.Contains("stopped", after.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_killed_with_sigkill_leaves_a_stale_pid_file_that_status_stop_and_start_see_through()
    {
        var start = await Ak("daemon", "start", "--state", StateDir);
        Assert.True(start.ExitCode == 0, start.ToString());
        var pid = ReadPid();

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-KILL", pid.ToString(CultureInfo.InvariantCulture) } })!)
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        await Poll.UntilAsync(() => InstanceLock.Holder(LockFile) is null, "the kernel to drop the dead daemon's lock");
        Assert.Equal(pid, ReadPid());

        var status = await Ak("daemon", "status", "--state", StateDir, "-o", "json");
        Assert.Equal(3, status.ExitCode);
        using (var document = JsonDocument.Parse(status.Out))
        {
            Assert.Equal("stopped", document.RootElement.GetProperty("state").GetString());
            Assert.Equal(pid, document.RootElement.GetProperty("stale_pid").GetInt32());
        }

        var stop = await Ak("daemon", "stop", "--state", StateDir);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains($"stale pid file naming pid {pid}", stop.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(PidFile));

        var again = await Ak("daemon", "start", "--state", StateDir);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.NotEqual(pid, ReadPid());
        var stopAgain = await Ak("daemon", "stop", "--state", StateDir);
        Assert.True(stopAgain.ExitCode == 0, stopAgain.ToString());
    }

    [Fact]
    public async Task A_stale_pid_file_naming_a_live_process_that_is_no_daemon_is_not_signalled()
    {
        // The pid of a process that is certainly alive and certainly not a daemon: this test run itself.
        Directory.CreateDirectory(StateDir);
        await File.WriteAllTextAsync(PidFile, Environment.ProcessId + "\n", TestContext.Current.CancellationToken);

        var status = await Ak("daemon", "status", "--state", StateDir);
        var stop = await Ak("daemon", "stop", "--state", StateDir);

        Assert.Equal(3, status.ExitCode);
        Assert.Contains("stale", status.Out, StringComparison.Ordinal);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("not running", stop.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(PidFile));
    }

    [Fact]
    public async Task Two_foreground_daemons_on_one_state_dir_the_second_fails_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        using var first = Process.Start(AkProcess.StartInfo(_home.Path, ["daemon", "run", "--state", StateDir], Env))!;
        first.StandardInput.Close();
        var firstOut = first.StandardOutput.ReadToEndAsync(ct);
        var firstErr = first.StandardError.ReadToEndAsync(ct);
        await Poll.UntilAsync(() => File.Exists(Path.Combine(StateDir, "daemon.json")) || first.HasExited, "the first daemon to be ready");
        if (first.HasExited)
        {
            Assert.Fail($"the first daemon exited ({first.ExitCode}): {await firstOut}{await firstErr}");
        }

        var second = await Ak("daemon", "run", "--state", StateDir);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"another daemon already runs with the state dir {StateDir} (pid {first.Id})", second.Err, StringComparison.Ordinal);
        Assert.Equal(first.Id, InstanceLock.Holder(LockFile));
        Assert.False(first.HasExited);

        await AkProcess.TerminateAsync(first);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        await first.WaitForExitAsync(limit.Token);
        Assert.True(first.ExitCode == 0, await firstOut + await firstErr);
    }

    [Fact]
    public async Task Logs_follow_prints_new_lines_across_rotation_and_truncation()
    {
        var ct = TestContext.Current.CancellationToken;
        var log = Path.Combine(StateDir, "logs", "daemon.log");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await File.WriteAllTextAsync(log, "one\ntwo\nthree\n", ct);
        using var follower = Process.Start(AkProcess.StartInfo(_home.Path, ["daemon", "logs", "--state", StateDir, "-f", "--tail", "2"]))!;
        follower.StandardInput.Close();
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int read;
            while ((read = await follower.StandardOutput.ReadAsync(buffer, ct)) > 0)
            {
                lock (output)
                {
                    output.Append(buffer, 0, read);
                }
            }
        }, ct);
        string Seen()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        try
        {
            await Poll.UntilAsync(() => Seen().Contains("three\n", StringComparison.Ordinal), "the last lines");
            await File.AppendAllTextAsync(log, "four\n", ct);
            await Poll.UntilAsync(() => Seen().Contains("four\n", StringComparison.Ordinal), "an appended line");

            // Rotation as the daemon's logger does it: rename, then a new file at the same path.
            await File.AppendAllTextAsync(log, "five\n", ct);
            File.Move(log, log + ".1");
            await File.WriteAllTextAsync(log, "six\n", ct);
            await Poll.UntilAsync(() => Seen().Contains("six\n", StringComparison.Ordinal), "the first line of the rotated log");

            // Truncation in place is told by a file shorter than what was read: make sure it is.
            var filler = new string('x', 200);
            await File.AppendAllTextAsync(log, filler + "\n", ct);
            await Poll.UntilAsync(() => Seen().Contains(filler, StringComparison.Ordinal), "a long line");
            await File.WriteAllTextAsync(log, "seven\n", ct);
            await Poll.UntilAsync(() => Seen().Contains("seven\n", StringComparison.Ordinal), "a line after truncation");
        }
        finally
        {
            await AkProcess.TerminateAsync(follower);
            await follower.WaitForExitAsync(ct);
            await reading;
        }

        Assert.Equal(0, follower.ExitCode);
        Assert.Equal($"two\nthree\nfour\nfive\nsix\n{new string('x', 200)}\nseven\n", Seen());
    }

    [Fact]
    public async Task Status_reads_sessions_and_pauses_from_the_store_without_waiting_for_its_writer()
    {
        var ct = TestContext.Current.CancellationToken;
        var db = Path.Combine(StateDir, "daemon.db");
        await (await AgentKanban.Daemon.Store.DaemonDatabase.OpenAsync(db, ct)).DisposeAsync();
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)TimeSpan.FromHours(2).TotalMilliseconds;
        await using var writer = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False");
        await writer.OpenAsync(ct);
        await ExecAsync(writer, null, $"""
            {InsertSession("a1", 2, null, now)}; {InsertSession("a2", 2, null, now)}; {InsertSession("r1", 3, null, now)};
            {InsertSession("c1", 7, now, now)}; {InsertSession("c2", 7, now, now)};
            INSERT INTO runtime_pauses (runtime, until_ms, decided_at_ms, source, reason, updated_at_ms)
            VALUES ('claude', {until}, {now}, 1, 'five_hour limit', {now});
            INSERT INTO runtime_pauses (runtime, until_ms, decided_at_ms, source, reason, updated_at_ms)
            VALUES ('codex', {now - 60_000}, {now - 120_000}, 1, 'over already', {now});
            """, ct);
        // A writer in the middle of a transaction (what the daemon does all the time): status must neither wait
        // for it nor see its uncommitted rows.
        await using var transaction = (Microsoft.Data.Sqlite.SqliteTransaction)await writer.BeginTransactionAsync(ct);
        await ExecAsync(writer, transaction, InsertSession("uncommitted", 2, null, now), ct);

        var status = await Ak("daemon", "status", "--state", StateDir, "-o", "json");

        Assert.Equal(3, status.ExitCode);
        using var document = JsonDocument.Parse(status.Out);
        var root = document.RootElement;
        Assert.Equal("stopped", root.GetProperty("state").GetString());
        Assert.Equal(2, root.GetProperty("sessions").GetProperty("active").GetInt32());
        Assert.Equal(1, root.GetProperty("sessions").GetProperty("rate_limited").GetInt32());
        Assert.Equal(2, root.GetProperty("closed_sessions").GetInt32());
        var pause = Assert.Single(root.GetProperty("paused_runtimes").EnumerateArray());
        Assert.Equal("claude", pause.GetProperty("runtime").GetString());
        Assert.Equal(until, DateTimeOffset.Parse(pause.GetProperty("until").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
        Assert.Equal("five_hour limit", pause.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("store_error").ValueKind);
        await transaction.RollbackAsync(ct);
    }

    [Fact]
    public async Task Status_shows_the_outbox_and_its_dead_letters_newest_first()
    {
        var ct = TestContext.Current.CancellationToken;
        var db = Path.Combine(StateDir, "daemon.db");
        await (await AgentKanban.Daemon.Store.DaemonDatabase.OpenAsync(db, ct)).DisposeAsync();
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var writer = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Pooling=False"))
        {
            await writer.OpenAsync(ct);
            await ExecAsync(writer, null, $"""
                {InsertReport(1, "usage", "POST", "api/sessions/s1/usage", now, null, null)};
                {InsertReport(2, "release", "POST", "api/tasks/t1/release", now - 60_000, now - 50_000, "moot: the task was leased again since (409 stale_epoch: epoch 3 is stale)")};
                {InsertReport(3, "message", "POST", "api/tasks/t2/messages", now - 30_000, now - 20_000, "not sent: its body is 18874432 bytes and the server takes at most 1 MiB")};
                """, ct);
        }

        var json = await Ak("daemon", "status", "--state", StateDir, "-o", "json");
        var table = await Ak("daemon", "status", "--state", StateDir);

        Assert.Equal(3, json.ExitCode);
        using var document = JsonDocument.Parse(json.Out);
        var outbox = document.RootElement.GetProperty("outbox");
        Assert.Equal(1, outbox.GetProperty("pending").GetInt32());
        Assert.Equal(2, outbox.GetProperty("dead_letter_count").GetInt32());
        var letters = outbox.GetProperty("dead_letters").EnumerateArray().ToList();
        Assert.Equal([3L, 2L], letters.Select(l => l.GetProperty("id").GetInt64()));
        Assert.Equal("message", letters[0].GetProperty("kind").GetString());
        Assert.Equal("POST", letters[0].GetProperty("method").GetString());
        Assert.Equal("api/tasks/t2/messages", letters[0].GetProperty("path").GetString());
        Assert.StartsWith("not sent: its body is", letters[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(now - 20_000, DateTimeOffset.Parse(letters[0].GetProperty("at").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds());
        Assert.Equal(1, letters[0].GetProperty("attempts").GetInt32());

        Assert.Equal(3, table.ExitCode);
        Assert.Contains("1 pending; 2 dead letters", table.Out, StringComparison.Ordinal);
        var lines = table.Out.Split('\n').Where(l => l.StartsWith("dead letter:", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Contains("message POST api/tasks/t2/messages: not sent", lines[0], StringComparison.Ordinal);
        Assert.Contains("release POST api/tasks/t1/release: moot", lines[1], StringComparison.Ordinal);
    }

    private static string InsertReport(long id, string kind, string method, string path, long createdAt, long? failedAt, string? reason) => $"""
        INSERT INTO outbox (id, idempotency_key, kind, method, path, body, session_id, attempts, next_attempt_ms, last_error, failed_at_ms, created_at_ms)
        VALUES ({id}, 'key-{id}', '{kind}', '{method}', '{path}', NULL, 's1', {(failedAt is null ? 0 : 1)}, {createdAt},
                {(reason is null ? "NULL" : "'" + reason + "'")}, {failedAt?.ToString(CultureInfo.InvariantCulture) ?? "NULL"}, {createdAt})
        """;

    private static string InsertSession(string id, int state, long? closedAt, long now) => $"""
        INSERT INTO sessions (id, task_id, agent_id, runtime, state, epoch, server_session_id, private_key, public_key,
                              provider_session_id, created_at_ms, updated_at_ms, closed_at_ms)
        VALUES ('{id}', 'task-{id}', 'agent', 'claude', {state}, 1, '{id}', 'k', 'k', '{id}', {now}, {now}, {closedAt?.ToString(CultureInfo.InvariantCulture) ?? "NULL"})
        """;

    private static async Task ExecAsync(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private Task<CliResult> Ak(params string[] args) => AkProcess.RunAsync(_home.Path, Env, args);

    private int ReadPid() => int.Parse(File.ReadAllText(PidFile).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Fields 3… of <c>/proc/PID/stat</c> (after the command name): state, ppid, pgrp, session, ….</summary>
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && StatFields(pid)[0] is not ("Z" or "X");
}
