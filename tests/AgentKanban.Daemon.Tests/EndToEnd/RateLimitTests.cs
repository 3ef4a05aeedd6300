using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// Rate limits end to end: a rejected rate limit pauses the runtime and the session (persisted first), nothing new goes to
/// the paused runtime, and the session resumes at the reset with the resume token and a non-empty prompt — also when the
/// daemon was killed with SIGKILL after the pause was recorded (the seed's scenario).
/// </summary>
public sealed class RateLimitTests
{
    private const int ResetSeconds = 6;

    [Fact]
    public async Task Rate_limited_session_pauses_the_runtime_and_resumes_at_the_reset_with_its_resume_token()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var limited = await env.CreateTaskAsync("hits the limit", "claim", $"rate-limit {ResetSeconds}", "say back after the reset", "review", "result");
        var daemon = await env.StartInProcessAsync();

        var waiting = await Eventually.WaitAsync(async () =>
        {
            var s = await daemon.Sessions.FindOpenByTaskAsync(limited.Id, CancellationToken.None);
            return s?.State == SessionState.RateLimited ? s : null;
        }, "the session to be rate limited");
        var pause = Assert.Single(await daemon.Pauses.AllAsync(CancellationToken.None));
        Assert.Equal(RuntimeNames.Claude, pause.Runtime);
        Assert.Equal(pause.Pause.Until, waiting.ResumeAfter);

        // A second task for the paused runtime is not dispatched; its "why" says so.
        var second = await env.CreateTaskAsync("waits for the runtime");
        var why = await Eventually.WaitAsync(async () =>
        {
            var t = await env.Server.GetTaskAsync(second.Id);
            return t.Why?.Contains("paused by a rate limit", StringComparison.Ordinal) == true ? t.Why : null;
        }, "the second task's why to name the pause");
        Assert.Contains("claude", why, StringComparison.Ordinal);
        var machine = await env.Server.MachineAsync(daemon.MachineId);
        Assert.Contains(machine.Runtimes, r => r.Name == "claude" && r.Status == "limited" && r.ResetAt is not null);
        Assert.Empty(env.InvocationsFor(second.Id));
        Assert.True(TimeProvider.System.GetUtcNow() < pause.Pause.Until, "the checks above ran inside the pause window");

        // After the reset: the session resumes (same conversation, non-empty prompt) and finishes; then the second runs.
        await env.WaitForStatusAsync(limited.Id, "in_review");
        var runs = env.InvocationsFor(limited.Id);
        Assert.Equal(2, runs.Count);
        Assert.False(runs[0].Resume);
        Assert.True(runs[1].Resume);
        Assert.Equal(runs[0].ProviderSessionId, runs[1].ProviderSessionId);
        Assert.Equal(Prompts.RateLimitResume, runs[1].Prompt);
        Assert.True(runs[1].HasSystemPrompt);
        Assert.True(runs[1].At >= pause.Pause.Until.ToUnixTimeMilliseconds(), "resumed no earlier than the reset");
        await env.WaitForStatusAsync(second.Id, "in_review");
        Assert.True(env.InvocationsFor(second.Id)[0].At >= pause.Pause.Until.ToUnixTimeMilliseconds(), "nothing new ran on the paused runtime");
    }

    [Fact]
    public async Task An_allowed_report_for_another_window_leaves_the_rejected_windows_pause_in_force()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        // Rejected on the weekly window, then told that the five-hour window is fine: the weekly one still says no.
        var limited = await env.CreateTaskAsync("weekly limit", "claim", $"reject seven_day {ResetSeconds}", "allowed five_hour", "exit-fresh 1",
            "say back after the reset", "review", "result");
        var daemon = await env.StartInProcessAsync();

        var ended = await FirstRunEndedAsync(env, limited.Id);
        Assert.True(ended.State == SessionState.RateLimited, $"session {ended.State}: {ended.LastReason}");
        var pause = Assert.Single(await daemon.Pauses.AllAsync(CancellationToken.None));
        Assert.Equal(RuntimeNames.Claude, pause.Runtime);
        Assert.Equal("seven_day", pause.Pause.Window);
        Assert.Equal(pause.Pause.Until.ToUnixTimeMilliseconds(), ended.ResumeAfterMs);
        Assert.True(TimeProvider.System.GetUtcNow() < pause.Pause.Until, "the pause was looked at before the reset");

        // After the weekly window's reset the session goes on where it stopped.
        await env.WaitForStatusAsync(limited.Id, "in_review");
        var runs = env.InvocationsFor(limited.Id);
        Assert.Equal(2, runs.Count);
        Assert.True(runs[1].Resume);
        Assert.True(runs[1].At >= pause.Pause.Until.ToUnixTimeMilliseconds(), "resumed no earlier than the reset");
    }

    [Theory]
    [InlineData("rate-limit-api-key")]
    [InlineData("rate-limit-result-only")]
    public async Task A_429_reported_without_a_rate_limit_event_pauses_for_the_default_window_and_keeps_the_task(string step)
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var limited = await env.CreateTaskAsync("limited on an API key", "claim", step, "review", "result");
        var daemon = await env.StartInProcessAsync();

        var ended = await FirstRunEndedAsync(env, limited.Id);
        Assert.True(ended.State == SessionState.RateLimited, $"session {ended.State}: {ended.LastReason}");
        var pause = Assert.Single(await daemon.Pauses.AllAsync(CancellationToken.None));
        Assert.Equal(PauseSource.NoResetGiven, pause.Pause.Source);
        Assert.Null(pause.Pause.Window);
        Assert.Equal(pause.Pause.Until.ToUnixTimeMilliseconds(), ended.ResumeAfterMs);
        Assert.Equal(RateLimitOptions.Default.UnknownResetWindow, pause.Pause.Until - pause.Pause.DecidedAt);

        // The task stays with its session (in progress, leased to this machine), waiting for the window.
        var task = await env.Server.GetTaskAsync(limited.Id);
        Assert.Equal("in_progress", task.Status);
        Assert.Equal(daemon.MachineId, task.Lease?.MachineId);
        Assert.DoesNotContain(task.Activity ?? [], a => a.Action == "released");
        Assert.Single(env.InvocationsFor(limited.Id));
    }

    /// <summary>The task's first session once its first run was classified (no longer preparing or running).</summary>
    private static async Task<StoredSessionView> FirstRunEndedAsync(DaemonTestEnvironment env, string taskId) =>
        await Eventually.WaitAsync(async () =>
        {
            var rows = await StoreReader.SessionsAsync(env.StateDir);
            return rows.FirstOrDefault(s => s.TaskId == taskId && s.State is not (SessionState.Preparing or SessionState.Active));
        }, "the first run's end to be recorded");

    [Fact]
    public async Task Daemon_killed_after_the_pause_was_recorded_is_replaced_by_one_that_resumes_on_time()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var limited = await env.CreateTaskAsync("hits the limit", "claim", $"rate-limit {ResetSeconds}", "say back after the reset", "review", "result");
        var first = env.StartProcess();

        var recorded = await Eventually.WaitAsync(async () =>
        {
            var rows = await StoreReader.SessionsAsync(env.StateDir);
            return rows.FirstOrDefault(s => s.TaskId == limited.Id && s.State == SessionState.RateLimited && s.ResumeAfterMs is not null);
        }, "the pause to be recorded in the store");
        var pauseUntil = await StoreReader.PauseUntilAsync(env.StateDir, "claude");
        Assert.NotNull(pauseUntil);

        await first.KillHardAsync();
        Assert.True(TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() < recorded.ResumeAfterMs, "killed inside the pause window");

        // A second task, created while no daemon runs: the fresh daemon must not dispatch it into the paused runtime.
        var second = await env.CreateTaskAsync("waits for the runtime");
        var fresh = env.StartProcess();
        await env.WaitForStatusAsync(limited.Id, "in_review");
        var runs = env.InvocationsFor(limited.Id);
        Assert.Equal(2, runs.Count);
        Assert.True(runs[1].Resume);
        Assert.Equal(runs[0].ProviderSessionId, runs[1].ProviderSessionId);
        Assert.Equal(Prompts.RateLimitResume, runs[1].Prompt);
        Assert.True(runs[1].At >= recorded.ResumeAfterMs, "resumed no earlier than the reset");

        await env.WaitForStatusAsync(second.Id, "in_review");
        Assert.True(env.InvocationsFor(second.Id)[0].At >= pauseUntil, "nothing new ran on the paused runtime, across the restart");
        Assert.False(fresh.HasExited);
    }
}
