using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Tests.Store;

public sealed class PauseStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_rejected_window_is_kept_with_the_pause_across_a_reopen()
    {
        await using var store = await TempStore.CreateAsync();
        var pause = new RuntimePause(Now.AddHours(30), PauseSource.ProviderReset, Now, Window: "seven_day");
        await store.Database.TransactAsync(Now, async tx =>
        {
            await tx.SetPauseAsync("claude", pause, "weekly limit", CancellationToken.None);
            return true;
        }, CancellationToken.None);

        await store.ReopenAsync();

        var stored = Assert.Single(await new PauseStore(store.Database).AllAsync(CancellationToken.None));
        Assert.Equal(pause, stored.Pause);
        Assert.Equal("weekly limit", stored.Reason);
    }

    [Fact]
    public async Task A_pause_stored_before_windows_were_recorded_reads_back_as_naming_none()
    {
        var directory = TestPaths.NewTempDirectory("store-v1");
        var path = Path.Combine(directory, "daemon.db");
        try
        {
            // A store as the first schema left it, holding a pause.
            await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);"
                    + DaemonSchema.Migrations[0].Sql
                    + "; INSERT INTO schema_migrations(version, applied_at) VALUES (1, 0);"
                    + "INSERT INTO runtime_pauses (runtime, until_ms, decided_at_ms, source, past_reset_streak, reason, updated_at_ms) "
                    + $"VALUES ('claude', {Now.AddHours(2).ToUnixTimeMilliseconds()}, {Now.ToUnixTimeMilliseconds()}, 1, 0, 'old', 0);";
                await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            await using var database = await DaemonDatabase.OpenAsync(path, CancellationToken.None);

            var stored = Assert.Single(await new PauseStore(database).AllAsync(CancellationToken.None));
            Assert.Equal(new RuntimePause(Now.AddHours(2), PauseSource.ProviderReset, Now), stored.Pause);
            Assert.Null(stored.Pause.Window);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            TestPaths.DeleteQuietly(directory);
        }
    }
}
