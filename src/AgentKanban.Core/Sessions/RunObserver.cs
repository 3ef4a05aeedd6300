using AgentKanban.Core.Events;
using AgentKanban.Core.Policies;

namespace AgentKanban.Core.Sessions;

/// <summary>
/// Folds one run's events into what the daemon needs when the run ends (and while it runs): is it rate
/// limited right now, the worst error, the result, the resume token, usage and cost. Pure; one per run.
/// </summary>
public sealed class RunObserver
{
    /// <summary>A rejection was reported and no later "allowed" (off overage) for the same window cleared it.</summary>
    public bool RateLimited { get; private set; }

    /// <summary>The window the standing rejection named (null for the assistant's rate-limit error, which names none).</summary>
    public string? RejectedWindow { get; private set; }

    /// <summary>The last structured rejection, if any (its reset times feed <see cref="RateLimitPolicy"/>).</summary>
    public RateLimitEvent? LastRejection { get; private set; }

    /// <summary>The worst error class among the runtime's non-rate-limit errors.</summary>
    public ErrorClass Failure { get; private set; }

    /// <summary>The last error the runtime reported, for the recorded reason.</summary>
    public AgentError? LastError { get; private set; }

    public bool ResultReceived { get; private set; }

    /// <summary>The last result said the turn failed.</summary>
    public bool ResultIsError { get; private set; }

    /// <summary>The provider's resume token, from the session start or the latest result.</summary>
    public string? ResumeToken { get; private set; }

    /// <summary>Sum of the usage of all turns of the run.</summary>
    public TokenUsage Usage { get; private set; }

    /// <summary>The latest cost the provider reported (cumulative for the run, so the latest wins).</summary>
    public decimal? CostUsd { get; private set; }

    public int EventCount { get; private set; }

    public void Observe(AgentEvent agentEvent)
    {
        ArgumentNullException.ThrowIfNull(agentEvent);
        EventCount++;
        switch (agentEvent)
        {
            case SessionInitialized init:
                ResumeToken = init.ProviderSessionId;
                break;
            case RateLimitEvent { Status: RateLimitStatus.Rejected } rejection:
                RateLimited = true;
                LastRejection = rejection;
                RejectedWindow = rejection.RateLimitType;
                break;
            case RateLimitEvent { IsUsingOverage: false } allowed when RateLimited && RateLimitPolicy.Lifts(allowed, RejectedWindow):
                RateLimited = false;
                break;
            case AgentError { IsRateLimitFallback: true } fallback:
                RateLimited = true;
                RejectedWindow = null;
                LastError = fallback;
                break;
            case AgentError error:
                // An error without a code is still an error: unknown means terminal.
                var errorClass = ProviderErrors.Classify(error.Code);
                Failure = ProviderErrors.Worst(Failure, errorClass == ErrorClass.None ? ErrorClass.Terminal : errorClass);
                LastError = error;
                break;
            case TurnEnded end:
                ResultReceived = true;
                ResultIsError = end.IsError;
                Usage += end.Usage;
                CostUsd = end.CostUsd ?? CostUsd;
                ResumeToken = end.ResumeToken ?? ResumeToken;
                break;
        }
    }

    /// <summary>The facts <see cref="RunOutcome.Classify"/> takes, given how the process ended and what the server says.</summary>
    public RunFacts ToFacts(RunExit exit, RunStop stop, TaskView task) =>
        new(exit, stop, task, RateLimited, Failure, ResultIsError);
}
