using System.Collections.Concurrent;
using AgentKanban.Client;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Sessions;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// The daemon's control loop. At start it runs the recovery pass; then each pass (woken by a push, a finished run,
/// a timer armed from the store, or the polling fallback) first continues the sessions that need it — due resumes
/// (rate-limit windows, backoffs, rejections), active sessions without an agent, preparations and clean-ups left
/// over — and then dispatches new work. It sleeps until the earliest instant anything becomes due.
/// </summary>
public sealed class DaemonLoop(
    SessionStore store,
    SessionContinuer continuer,
    Dispatcher dispatcher,
    TaskWatcher watcher,
    SessionSupervisor supervisor,
    SessionClaims claims,
    RuntimeGate gate,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<DaemonLoop> logger)
{
    private static readonly TimeSpan RetryLater = TimeSpan.FromSeconds(15);
    private readonly WakeSignal _wake = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _notBefore = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _waitingForSlot = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, bool> _continuations = new();
    private volatile bool _pushed = true;
    private volatile bool _watchAll;
    private TimeSpan _pollInterval = context.Options.PollMinInterval;
    private DateTimeOffset _nextPoll = DateTimeOffset.MinValue;
    private DateTimeOffset _nextWatch = DateTimeOffset.MinValue;

    /// <summary>A pass finished (tests wait on this to observe the loop without timing).</summary>
    public event Action? PassCompleted;

    /// <summary>Run a pass now (a push arrived, a run ended, a pause changed).</summary>
    public void Wake() => _wake.Set();

    /// <summary>Retry every session now, including those told to wait before trying again (the leases are confirmed again).</summary>
    public void RetryNow()
    {
        _notBefore.Clear();
        _pushed = true;
        _wake.Set();
    }

    /// <summary>A run freed its slot: the sessions that found every slot taken try again now.</summary>
    public void SlotFreed()
    {
        foreach (var sessionId in _waitingForSlot.Keys)
        {
            _waitingForSlot.TryRemove(sessionId, out _);
            _notBefore.TryRemove(sessionId, out _);
        }

        _wake.Set();
    }

    /// <summary>New work may be waiting (a push): the next pass dispatches even if the poll timer has not run out.</summary>
    public void WorkPushed()
    {
        _pushed = true;
        _wake.Set();
    }

    /// <summary>
    /// Pushes may have been lost for good (the server pruned events the work feed never saw): the next pass dispatches
    /// and checks every watched session's task against the server, as the timers would eventually — but now, so a
    /// missed task, rejection or cancellation is not left waiting for the slow poll.
    /// </summary>
    public void PushesMissed()
    {
        _watchAll = true;
        WorkPushed();
    }

    /// <summary>Runs until <paramref name="stopTakingWork"/> fires (the first stage of shutdown).</summary>
    public async Task RunAsync(CancellationToken stopTakingWork)
    {
        await RecoverAsync(stopTakingWork);
        while (!stopTakingWork.IsCancellationRequested)
        {
            DateTimeOffset? wakeAt;
            try
            {
                wakeAt = await PassAsync(stopTakingWork);
            }
            catch (OperationCanceledException) when (stopTakingWork.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is ServerApiException or IOException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                DaemonLog.LoopFailed(logger, e);
                wakeAt = timeProvider.GetUtcNow() + TimeSpan.FromSeconds(5);
            }

            PassCompleted?.Invoke();
            var wait = wakeAt is { } at ? at - timeProvider.GetUtcNow() : context.Options.PollMaxInterval;
            try
            {
                await _wake.WaitAsync(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, timeProvider, stopTakingWork);
            }
            catch (OperationCanceledException) when (stopTakingWork.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>Waits for continuations started by the loop (shutdown).</summary>
    public Task WhenContinuationsDoneAsync() => Task.WhenAll(_continuations.Keys);

    /// <summary>
    /// The recovery pass: every open session left by the previous run is decided once — active ones whose
    /// task is still theirs resume in place, rate-limited ones wait for their window, in-review ones are kept, those
    /// whose task is gone are cleaned up — and the count of each decision is logged.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        var open = await store.ListOpenAsync(cancellationToken);
        var counts = new ConcurrentDictionary<ContinueOutcome, int>();
        // Agents a previous daemon left running (killed with SIGKILL, it could not take them along) go before any session
        // is continued: otherwise a session resumed here could run twice.
        var killed = await StrayProcesses.KillSessionsAsync(
            open.Where(s => s.State is SessionState.Active or SessionState.Preparing or SessionState.Completing).Select(s => s.Id),
            context.Options.StopGracePeriod, timeProvider, (sessionId, pid) => DaemonLog.StrayKilled(logger, pid, sessionId), cancellationToken);
        var now = timeProvider.GetUtcNow();
        var work = new List<Task>();
        foreach (var session in open)
        {
            var waitsForItsTime = session.State.WaitsForResumeTime() && session.ResumeAfter is { } due && due > now;
            if (waitsForItsTime || (session.State == SessionState.InReview && session.ResumeAfter is null))
            {
                var outcome = session.State == SessionState.InReview ? ContinueOutcome.KeptInReview : ContinueOutcome.Waiting;
                counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                DaemonLog.RecoveryDecision(logger, session.Id, session.TaskId, session.State.ToName(), outcome.ToString(),
                    session.ResumeAfter is { } at ? $"resumes at {DispatchRules.Format(at)}" : "waits for its review");
                continue;
            }

            var claim = claims.TryClaim(session.Id, "recovery");
            if (claim is null)
            {
                continue;
            }

            work.Add(Task.Run(async () =>
            {
                using (claim)
                {
                    var outcome = await ContinueSafelyAsync(session, claim, cancellationToken);
                    counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);
                    DaemonLog.RecoveryDecision(logger, session.Id, session.TaskId, session.State.ToName(), outcome.ToString(), session.LastReason ?? "-");
                }
            }, CancellationToken.None));
        }

        await Task.WhenAll(work);
        DaemonLog.RecoverySummary(logger, open.Count, counts.GetValueOrDefault(ContinueOutcome.Resumed),
            counts.GetValueOrDefault(ContinueOutcome.KeptInReview), counts.GetValueOrDefault(ContinueOutcome.Waiting),
            counts.GetValueOrDefault(ContinueOutcome.PreparingContinued), counts.GetValueOrDefault(ContinueOutcome.CleanedUp),
            counts.GetValueOrDefault(ContinueOutcome.Later) + counts.GetValueOrDefault(ContinueOutcome.NoSlot), killed);
    }

    /// <summary>One pass; returns when the loop must wake next at the latest.</summary>
    private async Task<DateTimeOffset?> PassAsync(CancellationToken stopping)
    {
        var now = timeProvider.GetUtcNow();
        await ReconcileAsync(now, stopping);

        if (now >= _nextWatch || _watchAll)
        {
            _watchAll = false;
            _nextWatch = now + context.Options.TaskWatchInterval;
            StartBackground(watcher.CheckAllAsync(stopping));
        }

        // Dispatch after resumes: sessions already under way get the free slots first.
        var pushed = _pushed;
        if (pushed || now >= _nextPoll)
        {
            _pushed = false;
            DispatchPass pass;
            try
            {
                pass = await dispatcher.RunPassAsync(stopping);
            }
            catch (ServerApiException e)
            {
                DaemonLog.DispatchPassFailed(logger, e);
                pass = default;
                _pushed = pushed;
            }

            // Idle backoff of the polling fallback: ×1.5 per idle pass up to the cap; back to the start after work.
            _pollInterval = pass.Started > 0 || pushed
                ? context.Options.PollMinInterval
                : TimeSpan.FromTicks(Math.Min((long)(_pollInterval.Ticks * 1.5), context.Options.PollMaxInterval.Ticks));
            _nextPoll = timeProvider.GetUtcNow() + _pollInterval;
            return Earliest(await NextDueAsync(stopping), pass.NextEligibleAt);
        }

        return await NextDueAsync(stopping);
    }

    /// <summary>Continues every session that needs it and that nobody in this process holds.</summary>
    private async Task ReconcileAsync(DateTimeOffset now, CancellationToken stopping)
    {
        var candidates = new List<string>(await store.DueIdsAsync(now, 256, stopping));
        foreach (var state in new[] { SessionState.Active, SessionState.Preparing, SessionState.Completing })
        {
            candidates.AddRange((await store.ListInStateAsync(state, stopping)).Select(s => s.Id));
        }

        foreach (var id in candidates)
        {
            if (claims.IsHeld(id) || supervisor.IsRunning(id) || (_notBefore.TryGetValue(id, out var notBefore) && notBefore > now))
            {
                continue;
            }

            var claim = claims.TryClaim(id, "continue");
            if (claim is null)
            {
                continue;
            }

            StartBackground(ContinueInBackgroundAsync(id, claim, stopping));
        }
    }

    private async Task ContinueInBackgroundAsync(string sessionId, SessionClaims.Claim claim, CancellationToken stopping)
    {
        using (claim)
        {
            // Loaded under the claim: what the store holds now, not what the query saw.
            var session = await store.GetAsync(sessionId, stopping);
            if (session is null || session.State.IsFinal())
            {
                return;
            }

            var outcome = await ContinueSafelyAsync(session, claim, stopping);
            if (outcome is ContinueOutcome.Later or ContinueOutcome.NoSlot)
            {
                _notBefore[sessionId] = timeProvider.GetUtcNow() + RetryLater;
            }
            else
            {
                _notBefore.TryRemove(sessionId, out _);
            }

            if (outcome == ContinueOutcome.NoSlot)
            {
                // Tried again the moment a run frees a slot (SlotFreed), not after the timer; the timer only backs that
                // up. Waking now would only find the slots as full as they are.
                _waitingForSlot[sessionId] = true;
                return;
            }
        }

        Wake();
    }

    private async Task<ContinueOutcome> ContinueSafelyAsync(SessionRecord session, SessionClaims.Claim claim, CancellationToken stopping)
    {
        try
        {
            return await continuer.ContinueAsync(session, claim, stopping);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            // Nothing is lost: the session is as the store has it, and the next pass tries again.
            DaemonLog.ContinueFailed(logger, session.Id, e);
            return ContinueOutcome.Later;
        }
    }

    private async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        var next = Earliest(await store.NextResumeAtAsync(cancellationToken), gate.NextChangeAt());
        next = Earliest(next, _nextPoll);
        next = Earliest(next, _nextWatch);
        foreach (var at in _notBefore.Values)
        {
            next = Earliest(next, at);
        }

        return next;
    }

    private void StartBackground(Task task)
    {
        _continuations[task] = true;
        _ = task.ContinueWith(t => _continuations.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;
}
