using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// Applies the outcome of a run (or of a failed preparation or resume) to a session: the transition, its
/// fields and everything it implies — release or lease return, session close, task backoff, breaker, the
/// "why" note — in ONE transaction; then, and only then, the in-memory mirrors.
/// </summary>
public sealed class SessionEndings(
    SessionStore store,
    RuntimeGate gate,
    OutboxDeliverer outbox,
    RateLimitOptions rateLimits,
    TimeProvider timeProvider,
    ILogger<SessionEndings> logger,
    IJitterSource? jitter = null)
{
    private readonly RetryPolicy _runRetry = new(RetryOptions.AgentRun, jitter ?? RandomJitter.Shared);
    private readonly RetryPolicy _taskRetry = new(RetryOptions.Resume, jitter ?? RandomJitter.Shared);

    /// <summary>
    /// Applies <paramref name="verdict"/> to the session, expected in <paramref name="from"/>. <paramref name="view"/> says
    /// where the task stands, which decides between releasing it, giving its lease back, or leaving it alone.
    /// </summary>
    public async Task<TransitionResult> ApplyAsync(SessionRecord session, SessionState from, RunVerdict verdict, TaskView view, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(verdict);
        var trigger = verdict.Trigger;
        var reason = verdict.Reason;
        var now = timeProvider.GetUtcNow();
        RetryDecision? retry = null;
        if (trigger == SessionTrigger.FailedTransient)
        {
            retry = _runRetry.Decide(session.Attempts + 1, ErrorClass.Transient, now);
            if (!retry.ShouldRetry)
            {
                trigger = SessionTrigger.FailedTerminal;
                reason = $"{reason} ({retry.Reason})";
            }
        }

        CircuitBreakerState? breaker = null;
        var result = await store.TransitionWithAsync(session.Id, from, trigger, async (tx, s) =>
        {
            var common = s with { LastReason = reason, Pid = null };
            switch (trigger)
            {
                case SessionTrigger.EndedInReview:
                    return common with { ResumeAfter = null, DecidedAt = null, Attempts = 0 };
                case SessionTrigger.EndedRateLimited:
                {
                    var pause = await tx.GetPauseAsync(s.Runtime, cancellationToken);
                    var until = Later(s.ResumeAfter, pause is null ? null : RateLimitPolicy.EffectiveUntil(pause, tx.Now))
                                ?? tx.Now + rateLimits.UnknownResetWindow;
                    return common with { ResumeAfter = until, DecidedAt = tx.Now, NextPrompt = Prompts.RateLimitResume };
                }

                case SessionTrigger.FailedTransient:
                    return common with
                    {
                        ResumeAfter = retry!.At,
                        DecidedAt = tx.Now,
                        Attempts = s.Attempts + 1,
                        NextPrompt = Prompts.TransientResume(reason),
                    };
                case SessionTrigger.Interrupted:
                    return common;
                default:
                    return common with { ResumeAfter = null, DecidedAt = null, NextPrompt = null };
            }
        }, async (tx, s) => breaker = await EffectsAsync(tx, s, trigger, verdict, view, reason, cancellationToken), cancellationToken);

        if (!result.Applied)
        {
            DaemonLog.TransitionNotApplied(logger, session.Id, trigger.ToString(), result.Status.ToString(), result.Message);
            return result;
        }

        if (breaker is not null)
        {
            gate.BreakerCommitted(session.Runtime, breaker);
        }

        outbox.Wake();
        return result;
    }

    /// <summary>Everything the transition implies, inside its transaction. Returns the new breaker state when it changed.</summary>
    private static async Task<CircuitBreakerState?> EffectsAsync(
        StoreTransaction tx, SessionRecord s, SessionTrigger trigger, RunVerdict verdict, TaskView view, string reason, CancellationToken cancellationToken)
    {
        CircuitBreakerState? breaker = null;
        if (verdict.PreClaimFailure)
        {
            breaker = CircuitBreaker.OnPreClaimFailure(await tx.GetBreakerAsync(s.Runtime, cancellationToken), tx.Now);
        }
        else if (view is TaskView.InProgress or TaskView.InReview)
        {
            var current = await tx.GetBreakerAsync(s.Runtime, cancellationToken);
            breaker = current.Status == CircuitStatus.Closed && current.ConsecutiveFailures == 0 ? null : CircuitBreaker.OnWorkflowEntered(current);
        }

        if (breaker is not null)
        {
            await tx.SetBreakerAsync(s.Runtime, breaker, cancellationToken);
        }

        switch (trigger)
        {
            case SessionTrigger.EndedInReview:
                await tx.ClearTaskBackoffAsync(s.TaskId, cancellationToken);
                break;
            case SessionTrigger.EndedRateLimited:
                await tx.SetWhyAsync(s.TaskId, $"waiting for the {s.Runtime} rate limit to reset; resumes at {DispatchRules.Format(s.ResumeAfter!.Value)}", cancellationToken);
                break;
            case SessionTrigger.FailedTransient:
                await tx.SetWhyAsync(s.TaskId, $"suspended after a transient failure ({reason}); retrying at {DispatchRules.Format(s.ResumeAfter!.Value)}", cancellationToken);
                break;
            case SessionTrigger.FailedTerminal or SessionTrigger.EndedWithoutReview or SessionTrigger.Orphaned:
            {
                if (view == TaskView.InProgress)
                {
                    await tx.EnqueueAsync(Reports.Release(s, reason), cancellationToken);
                }
                else if (view == TaskView.Unclaimed)
                {
                    await tx.EnqueueAsync(Reports.ReturnLease(s), cancellationToken);
                }

                if (view is TaskView.InProgress or TaskView.Unclaimed)
                {
                    // Not straight back into another attempt: the task waits, longer after each failure.
                    var previous = await tx.GetTaskBackoffAsync(s.TaskId, cancellationToken);
                    var failures = (previous?.Failures ?? 0) + 1;
                    var delay = RetryPolicy.Delay(failures, RetryOptions.Resume with { BaseDelay = TimeSpan.FromSeconds(30), MaxDelay = TimeSpan.FromHours(1) }, 0);
                    var backoff = new TaskBackoff(failures, tx.Now + delay, tx.Now, reason);
                    await tx.SetTaskBackoffAsync(s.TaskId, backoff, cancellationToken);
                    await tx.SetWhyAsync(s.TaskId, $"last attempt failed ({reason}); retrying at {DispatchRules.Format(backoff.NotBefore)}", cancellationToken);
                }

                await tx.EnqueueAsync(Reports.CloseSession(s.Id, s.ServerSessionId), cancellationToken);
                break;
            }

            case SessionTrigger.TaskGone:
                await tx.ClearTaskBackoffAsync(s.TaskId, cancellationToken);
                await tx.EnqueueAsync(Reports.CloseSession(s.Id, s.ServerSessionId), cancellationToken);
                break;
        }

        return breaker;
    }

    /// <summary>Moves a waiting session's resume time (runtime still paused, server unreachable, at capacity).</summary>
    public async Task<TransitionResult> PostponeAsync(SessionRecord session, DateTimeOffset until, string reason, bool countsAsFailure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var result = await store.TransitionAsync(session.Id, session.State, SessionTrigger.Postpone, s => s with
        {
            ResumeAfter = until,
            DecidedAt = timeProvider.GetUtcNow(),
            Attempts = countsAsFailure ? s.Attempts + 1 : s.Attempts,
            LastReason = reason,
        }, null, cancellationToken);
        if (result.Applied)
        {
            DaemonLog.Postponed(logger, session.Id, until, reason);
        }

        return result;
    }

    /// <summary>When a resume that could not start (server unreachable) is tried again: 5 s doubling to 5 min.</summary>
    public DateTimeOffset RetryResumeAt(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var now = timeProvider.GetUtcNow();
        return _taskRetry.Decide(session.Attempts + 1, ErrorClass.Transient, now).At ?? now + RetryOptions.Resume.MaxDelay;
    }

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a > b ? a : b;
}
