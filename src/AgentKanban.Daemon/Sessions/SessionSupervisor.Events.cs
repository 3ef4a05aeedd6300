using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Outbox;

namespace AgentKanban.Daemon.Sessions;

public sealed partial class SessionSupervisor
{
    private async Task HandleEventAsync(RunningAgent run, AgentEvent agentEvent, CancellationToken cancellationToken)
    {
        // The live view first: a non-blocking hand-off, whatever the event then causes here.
        run.Relay?.Post(agentEvent, timeProvider.GetUtcNow());
        switch (agentEvent)
        {
            case SessionInitialized init:
                await RememberResumeTokenAsync(run, init.ProviderSessionId);
                break;
            case TextBlock { ParentToolUseId: null } text when !string.IsNullOrWhiteSpace(text.Text):
                await EnqueueAsync(Reports.Message(run.Session, text.Text));
                break;
            case ToolUseBlock tool:
                run.ToolStarted(tool.Id);
                break;
            case ToolResultBlock result:
                if (run.ToolFinished(result.ToolUseId) == 0 && run.DrainRequested)
                {
                    // Shutdown: the tool call in flight has returned; stop between steps.
                    Stop(run, RunStop.Shutdown);
                }

                break;
            case RateLimitEvent limit:
                context.Usage.Report(run.Session.Runtime, limit);
                await OnRateLimitAsync(run, limit);
                break;
            case UsageWindowsReported usage:
                context.Usage.Report(run.Session.Runtime, usage.Windows);
                break;
            case AgentError { IsRateLimitFallback: true }:
                await OnRateLimitAsync(run, null);
                break;
            case AgentError error:
                run.Failure = ProviderErrors.Worst(run.Failure, ProviderErrors.Classify(error.Code));
                run.FailureDetail = error.Detail;
                run.ConversationLost |= error.Code == ProviderErrors.ConversationNotFound;
                DaemonLog.AgentError(logger, run.Session.Id, error.Code, error.Detail);
                break;
            case TurnEnded turn:
                await OnTurnEndedAsync(run, turn);
                break;
            case InputAccepted accepted when run.Inbox is { } inbox:
                await inbox.AcceptedAsync(accepted.MessageId);
                break;
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task RememberResumeTokenAsync(RunningAgent run, string? token)
    {
        if (string.IsNullOrEmpty(token) || token == run.Session.ResumeToken)
        {
            return;
        }

        run.Session = await store.UpdateAsync(run.Session.Id, s => s.ResumeToken == token ? null : s with { ResumeToken = token }, null,
            CancellationToken.None) ?? run.Session;
    }

    private async Task EnqueueAsync(Report report)
    {
        await store.Database.TransactAsync(timeProvider.GetUtcNow(), async tx =>
        {
            await tx.EnqueueAsync(report, CancellationToken.None);
            return true;
        }, CancellationToken.None);
        outbox.Wake();
    }

    /// <summary>Per-turn usage and the cost added since the last report go to the session counters (through the outbox).</summary>
    private async Task OnTurnEndedAsync(RunningAgent run, TurnEnded turn)
    {
        run.ResultIsError = turn.IsError;
        var costSoFar = turn.CostUsd is { } usd ? UsdCost.ToMicroUsd(usd) : 0;
        long added = 0;
        run.Session = await store.UpdateAsync(run.Session.Id, s =>
        {
            // The runtime reports the run's running total: only the part not reported yet is added.
            added = Math.Max(0, costSoFar - s.RunCostMicroUsd);
            return s with
            {
                ResumeToken = string.IsNullOrEmpty(turn.ResumeToken) ? s.ResumeToken : turn.ResumeToken,
                InputTokens = s.InputTokens + turn.Usage.InputTokens,
                OutputTokens = s.OutputTokens + turn.Usage.OutputTokens,
                CacheReadTokens = s.CacheReadTokens + turn.Usage.CacheReadTokens,
                CacheCreationTokens = s.CacheCreationTokens + turn.Usage.CacheCreationTokens,
                CostMicroUsd = s.CostMicroUsd + added,
                RunCostMicroUsd = s.RunCostMicroUsd + added,
            };
        }, async (tx, s) =>
        {
            if (!turn.Usage.IsZero || added > 0)
            {
                await tx.EnqueueAsync(Reports.Usage(s, turn.Usage, added), CancellationToken.None);
            }
        }, CancellationToken.None) ?? run.Session;
        outbox.Wake();
    }

    /// <summary>
    /// The rate-limit rule: the runtime's pause window and the session's resume time are written in ONE transaction,
    /// before anything in memory reacts. <paramref name="signal"/> null = the assistant's rate-limit fallback.
    /// </summary>
    private async Task OnRateLimitAsync(RunningAgent run, RateLimitEvent? signal)
    {
        var runtime = run.Session.Runtime;
        RateLimitDecision? decision = null;
        var result = await store.TransitionWithAsync(run.Session.Id, SessionState.Active, SessionTrigger.RateLimitHit, async (tx, s) =>
        {
            var current = await tx.GetPauseAsync(runtime, CancellationToken.None);
            decision = signal is null
                ? RateLimitPolicy.DecideFallback(current, tx.Now, context.Options.RateLimits)
                : RateLimitPolicy.Decide(signal, current, tx.Now, context.Options.RateLimits);
            switch (decision.Action)
            {
                case RateLimitAction.Pause:
                    await tx.SetPauseAsync(runtime, decision.Pause, decision.Reason, CancellationToken.None);
                    return s with { ResumeAfter = decision.Pause!.Until, DecidedAt = tx.Now, NextPrompt = Runtimes.Prompts.RateLimitResume };
                case RateLimitAction.Clear:
                    await tx.SetPauseAsync(runtime, null, decision.Reason, CancellationToken.None);
                    // The provider allows work again: this runtime's rate-limited sessions need not wait for their old window.
                    await tx.ResumeRateLimitedNowAsync(runtime, CancellationToken.None);
                    return s with { ResumeAfter = null, DecidedAt = null };
                default:
                    return s;
            }
        }, null, CancellationToken.None);

        if (!result.Applied || decision is null)
        {
            DaemonLog.TransitionNotApplied(logger, run.Session.Id, nameof(SessionTrigger.RateLimitHit), result.Status.ToString(), result.Message);
            return;
        }

        run.Session = result.Session!;
        // Only now, with the window durable, does anything in memory react.
        if (decision.Action == RateLimitAction.Pause)
        {
            run.RateLimited = true;
            run.RejectedWindow = signal?.RateLimitType;
        }
        else if (signal is not null && run.RateLimited && RateLimitPolicy.Lifts(signal, run.RejectedWindow))
        {
            // Allowed again for the window that rejected this run (on overage too: the agent goes on, paid). An "allowed"
            // for another window leaves the run rate limited.
            run.RateLimited = false;
        }

        switch (decision.Action)
        {
            case RateLimitAction.Pause:
                gate.PauseCommitted(runtime, decision.Pause, decision.Reason);
                DaemonLog.RateLimited(logger, runtime, run.Session.Id, decision.Pause!.Until, decision.Reason);
                break;
            case RateLimitAction.Clear:
                gate.PauseCommitted(runtime, null, decision.Reason);
                DaemonLog.RateLimitCleared(logger, runtime, run.Session.Id);
                break;
            default:
                // On overage, or allowed for another window than the one that rejected: nothing new is dispatched.
                DaemonLog.RateLimitKept(logger, runtime, run.Session.Id, decision.Reason);
                break;
        }
    }
}
