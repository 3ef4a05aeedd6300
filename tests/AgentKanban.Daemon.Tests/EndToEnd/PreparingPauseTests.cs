using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// A session that was still being prepared when its runtime got paused (the daemon died after storing it, and the pause
/// of another session's rate limit is in the store) waits for the window instead of launching into the limit.
/// </summary>
public sealed class PreparingPauseTests
{
    [Fact]
    public async Task A_session_prepared_while_the_runtime_is_paused_waits_for_the_window_instead_of_launching()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("prepared, then paused");
        var doomed = env.StartProcess(new Dictionary<string, string>
        {
            [CrashPoints.EnableVariable] = "1",
            [CrashPoints.PointVariable] = CrashPoints.Name(CrashPoint.SessionStored),
        });
        await doomed.WaitForExitAsync(new CancellationTokenSource(Eventually.DefaultTimeout).Token);
        Assert.Equal(137, doomed.ExitCode);
        Assert.Equal(SessionState.Preparing, Assert.Single(await StoreReader.SessionsAsync(env.StateDir)).State);

        // While no daemon runs, the runtime's pause lands in the store (as another session's rate limit would put it).
        var now = TimeProvider.System.GetUtcNow();
        var until = now + TimeSpan.FromSeconds(6);
        await using (var database = await DaemonDatabase.OpenAsync(Path.Combine(env.StateDir, "daemon.db"), CancellationToken.None))
        {
            await database.TransactAsync(now, async tx =>
            {
                await tx.SetPauseAsync("claude", new RuntimePause(until, PauseSource.ProviderReset, now, 0, "five_hour"), "test pause", CancellationToken.None);
                return true;
            }, CancellationToken.None);
        }

        SqliteConnection.ClearAllPools();
        env.StartProcess();
        var waiting = await Eventually.WaitAsync(async () =>
            (await StoreReader.SessionsAsync(env.StateDir)).FirstOrDefault(s => s.TaskId == task.Id && s.State == SessionState.RateLimited),
            "the prepared session to wait for the window");
        Assert.True(waiting.ResumeAfterMs >= until.ToUnixTimeMilliseconds(), $"resumes at {waiting.ResumeAfterMs}, the window ends {until:O}");
        Assert.Empty(env.InvocationsFor(task.Id));

        // After the window it runs, as a fresh conversation.
        await env.WaitForStatusAsync(task.Id, "in_review");
        var run = Assert.Single(env.InvocationsFor(task.Id));
        Assert.True(run.At >= until.ToUnixTimeMilliseconds(), $"the agent started at {run.At}, inside the window ending {until:O}");
        Assert.False(run.Resume);
    }
}
