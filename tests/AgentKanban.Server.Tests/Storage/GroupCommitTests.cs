using AgentKanban.Server.Storage;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Storage;

/// <summary>
/// SQLite group commit: writes that queue up are committed together, each in its own savepoint. A write that fails is
/// undone alone and its caller alone learns of it; every other caller gets its own result once the batch is durable.
/// </summary>
public sealed class GroupCommitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Writes_queued_together_commit_together_and_a_failing_one_is_undone_alone()
    {
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, cancellationToken: Ct);
        var storage = server.Storage;
        await storage.WriteAsync((tx, ct) => tx.Command("CREATE TABLE probe (n INTEGER NOT NULL)").ExecAsync(ct), Ct);

        // 300 writes at once: the first finds the writer free; the rest queue and go in batches. Every third one fails
        // after writing its row.
        var writes = Enumerable.Range(0, 300).Select(n => storage.WriteAsync(async (tx, ct) =>
        {
            await tx.Command("INSERT INTO probe (n) VALUES (@n)").Add("@n", (long)n).ExecAsync(ct);
            return n % 3 == 0 ? throw new InvalidOperationException($"write {n} refused") : n * 10;
        }, Ct)).ToList();

        for (var n = 0; n < writes.Count; n++)
        {
            if (n % 3 == 0)
            {
                var error = await Assert.ThrowsAsync<InvalidOperationException>(() => writes[n]);
                Assert.Equal($"write {n} refused", error.Message);
            }
            else
            {
                Assert.Equal(n * 10, await writes[n]);
            }
        }

        var stored = await storage.ReadAsync(async (db, ct) =>
        {
            await using var command = db.Command("SELECT n FROM probe ORDER BY rowid");
            await using var reader = await command.ExecuteReaderAsync(ct);
            var rows = new List<long>();
            while (await reader.ReadAsync(ct))
            {
                rows.Add(reader.GetInt64(0));
            }

            return rows;
        }, Ct);
        // Exactly the writes that succeeded, in the order they were asked for.
        Assert.Equal(Enumerable.Range(0, 300).Where(n => n % 3 != 0).Select(n => (long)n), stored);
    }

    [Fact]
    public async Task A_write_whose_caller_gave_up_before_its_turn_is_not_run()
    {
        await using var server = await TestServer.StartAsync(DatabaseKind.Sqlite, cancellationToken: Ct);
        var storage = server.Storage;
        await storage.WriteAsync((tx, ct) => tx.Command("CREATE TABLE probe (n INTEGER NOT NULL)").ExecAsync(ct), Ct);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // The first write holds the writer; the second's caller gives up while it waits in the queue.
        var holding = storage.WriteAsync(async (tx, ct) =>
        {
            await release.Task;
            return await tx.Command("INSERT INTO probe (n) VALUES (1)").ExecAsync(ct);
        }, Ct);
        using var giveUp = new CancellationTokenSource();
        var abandoned = storage.WriteAsync((tx, ct) => tx.Command("INSERT INTO probe (n) VALUES (2)").ExecAsync(ct), giveUp.Token);
        await giveUp.CancelAsync();
        release.SetResult();

        Assert.Equal(1, await holding);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        var count = await storage.ReadAsync(async (db, ct) => (long)(await db.Command("SELECT COUNT(*) FROM probe WHERE n = 2").ScalarAsync(ct))!, Ct);
        Assert.Equal(0L, count);
    }
}
