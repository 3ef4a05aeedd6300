using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// The crash matrix: a daemon process kills itself with SIGKILL right after one named durable step; a fresh daemon
/// takes over. Whatever the point, the system converges: the task reaches review and, once completed, its session is
/// closed — no stranded session, never two agents for the task at once, no report left undelivered.
/// </summary>
public sealed class CrashMatrixTests
{
    public static TheoryData<string> Points => new(Enum.GetValues<CrashPoint>().Select(CrashPoints.Name));

    [Theory]
    [MemberData(nameof(Points))]
    public async Task Daemon_killed_right_after_a_durable_step_converges_after_restart(string pointName)
    {
        Assert.True(CrashPoints.TryParse(pointName, out var point));
        await using var env = await DaemonTestEnvironment.CreateAsync();
        string[] script = point == CrashPoint.RateLimitPersisted
            ? ["claim", "say working", "rate-limit 2", "tool", "say done", "review", "result"]
            : ["claim", "say working", "tool", "say done", "review", "result"];
        var task = await env.CreateTaskAsync("crash at " + pointName, script);

        var doomed = env.StartProcess(new Dictionary<string, string>
        {
            [CrashPoints.EnableVariable] = "1",
            [CrashPoints.PointVariable] = pointName,
        });
        if (point == CrashPoint.WorkspaceRemoved)
        {
            // Removal happens when the session ends: finish the task so the daemon cleans up (and dies doing it).
            await env.WaitForStatusAsync(task.Id, "in_review");
            await env.Server.TransitionAsync(task.Id, "complete");
        }

        await doomed.WaitForExitAsync(new CancellationTokenSource(Eventually.DefaultTimeout).Token);
        Assert.Equal(137, doomed.ExitCode);
        Assert.Contains("crash point " + pointName, doomed.Output, StringComparison.Ordinal);

        var successor = env.StartProcess();
        if (point != CrashPoint.WorkspaceRemoved)
        {
            await env.WaitForStatusAsync(task.Id, "in_review");
            await env.Server.TransitionAsync(task.Id, "complete");
        }

        // Converged: the task's only session is closed and every report reached the server.
        var sessions = await Eventually.WaitAsync(async () =>
        {
            var rows = await StoreReader.SessionsAsync(env.StateDir);
            var outbox = await StoreReader.OutboxAsync(env.StateDir);
            return rows.Count > 0 && rows.All(s => s.State == SessionState.Closed) && outbox.Pending == 0 ? rows : null;
        }, "every session closed and the outbox drained");
        Assert.Single(sessions, s => s.TaskId == task.Id);
        Assert.Equal(0, (await StoreReader.OutboxAsync(env.StateDir)).Failed);

        var runs = env.InvocationsFor(task.Id);
        Assert.NotEmpty(runs);
        Assert.DoesNotContain(runs, r => r.Concurrent);
        var serverSessions = await env.Server.SessionsAsync(task.Id);
        Assert.All(serverSessions, s => Assert.Equal("closed", s.Status));
        Assert.Equal("done", (await env.Server.GetTaskAsync(task.Id)).Status);
        Assert.False(successor.HasExited);
    }
}
