using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;

namespace AgentKanban.Core.Tests.Sessions;

public sealed class RunOutcomeTests
{
    public static TheoryData<RunFacts, SessionTrigger, bool> Cases() => new()
    {
        // Rate limited beats crashed, beats a non-zero exit, beats a failed result.
        { Facts(RunExit.ExitCode, rateLimited: true, failure: ErrorClass.Terminal, resultIsError: true), SessionTrigger.EndedRateLimited, false },
        { Facts(RunExit.Signal, rateLimited: true), SessionTrigger.EndedRateLimited, false },
        { Facts(RunExit.Clean, task: TaskView.Unclaimed, rateLimited: true), SessionTrigger.EndedRateLimited, false },
        // ... and beats the stall watchdog and shutdown (the window is what matters after a restart).
        { Facts(RunExit.Signal, stop: RunStop.StallWatchdog, rateLimited: true), SessionTrigger.EndedRateLimited, false },
        { Facts(RunExit.Signal, stop: RunStop.Shutdown, rateLimited: true), SessionTrigger.EndedRateLimited, false },
        // A task that is gone ends the session whatever else happened.
        { Facts(RunExit.Clean, task: TaskView.Gone, rateLimited: true), SessionTrigger.TaskGone, false },
        { Facts(RunExit.Signal, stop: RunStop.TaskGone, task: TaskView.InProgress), SessionTrigger.TaskGone, false },
        // Shutdown leaves the session to be resumed in place.
        { Facts(RunExit.Signal, stop: RunStop.Shutdown), SessionTrigger.Interrupted, false },
        { Facts(RunExit.Signal, stop: RunStop.Shutdown, task: TaskView.InReview), SessionTrigger.Interrupted, false },
        // A lost or unconfirmed lease stops the agent: gone to someone else ends the session (never resumed); otherwise
        // it stays active and continues once the server confirms the task is still this machine's.
        { Facts(RunExit.Signal, stop: RunStop.LeaseLost, task: TaskView.Gone), SessionTrigger.TaskGone, false },
        { Facts(RunExit.Signal, stop: RunStop.LeaseLost, task: TaskView.Unknown), SessionTrigger.Interrupted, false },
        { Facts(RunExit.Signal, stop: RunStop.LeaseLost, task: TaskView.InProgress), SessionTrigger.Interrupted, false },
        { Facts(RunExit.Signal, stop: RunStop.LeaseLost, task: TaskView.Unclaimed), SessionTrigger.Interrupted, false },
        { Facts(RunExit.Signal, stop: RunStop.LeaseLost, task: TaskView.InReview), SessionTrigger.EndedInReview, false },
        { Facts(RunExit.Signal, stop: RunStop.LeaseLost, rateLimited: true), SessionTrigger.EndedRateLimited, false },
        // In review means the agent did its job, even if it crashed afterwards.
        { Facts(RunExit.Clean, task: TaskView.InReview), SessionTrigger.EndedInReview, false },
        { Facts(RunExit.ExitCode, task: TaskView.InReview, failure: ErrorClass.Terminal), SessionTrigger.EndedInReview, false },
        // The server could not be asked: suspend and ask again later.
        { Facts(RunExit.Clean, task: TaskView.Unknown), SessionTrigger.FailedTransient, false },
        // Watchdogs.
        { Facts(RunExit.Signal, stop: RunStop.StallWatchdog), SessionTrigger.FailedTransient, false },
        { Facts(RunExit.Signal, stop: RunStop.StallWatchdog, task: TaskView.Unclaimed), SessionTrigger.FailedTransient, true },
        { Facts(RunExit.Signal, stop: RunStop.TaskTimeout), SessionTrigger.FailedTerminal, false },
        // Errors the runtime reported.
        { Facts(RunExit.ExitCode, failure: ErrorClass.Transient), SessionTrigger.FailedTransient, false },
        { Facts(RunExit.Clean, failure: ErrorClass.Terminal), SessionTrigger.FailedTerminal, false },
        { Facts(RunExit.ExitCode, task: TaskView.Unclaimed, failure: ErrorClass.Terminal), SessionTrigger.FailedTerminal, true },
        // Exits with no error reported.
        { Facts(RunExit.SpawnFailed, task: TaskView.Unclaimed), SessionTrigger.FailedTerminal, true },
        { Facts(RunExit.Signal), SessionTrigger.FailedTransient, false },
        { Facts(RunExit.ExitCode), SessionTrigger.FailedTerminal, false },
        { Facts(RunExit.Clean, resultIsError: true), SessionTrigger.FailedTerminal, false },
        // Clean exits without review.
        { Facts(RunExit.Clean), SessionTrigger.EndedWithoutReview, false },
        { Facts(RunExit.Clean, task: TaskView.Unclaimed), SessionTrigger.EndedWithoutReview, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classifies_the_end_of_a_run(RunFacts facts, SessionTrigger expected, bool preClaimFailure)
    {
        var verdict = RunOutcome.Classify(facts);

        Assert.Equal(expected, verdict.Trigger);
        Assert.Equal(preClaimFailure, verdict.PreClaimFailure);
        Assert.False(string.IsNullOrWhiteSpace(verdict.Reason));
        // Whatever the verdict, it is legal from Active: a run only ends from there.
        Assert.True(SessionTransitions.Decide(SessionState.Active, verdict.Trigger).IsAllowed);
    }

    public static TheoryData<string, RunFacts, bool> FreshStartCases() => new()
    {
        // name, facts, starts a new conversation
        { "lost, task in progress", Lost(), true },
        { "lost, task never claimed", Lost() with { Task = TaskView.Unclaimed }, true },
        { "nothing lost", Lost() with { ConversationLost = false }, false },
        { "lost, but the task is gone", Lost() with { Task = TaskView.Gone }, false },
        { "lost, but the task is in review", Lost() with { Task = TaskView.InReview }, false },
        { "lost, but the server could not be asked", Lost() with { Task = TaskView.Unknown }, false },
        { "lost, but the daemon is shutting down", Lost() with { Stop = RunStop.Shutdown }, false },
        { "lost, but the task was taken away meanwhile", Lost() with { Stop = RunStop.TaskGone }, false },
        { "lost, but stopped by the watchdog", Lost() with { Stop = RunStop.StallWatchdog }, false },
        { "lost, but rate limited", Lost() with { RateLimited = true }, false },
    };

    [Theory]
    [MemberData(nameof(FreshStartCases))]
    public void A_lost_conversation_starts_a_new_one_only_while_the_task_is_still_to_be_worked_on(string name, RunFacts facts, bool expected)
    {
        Assert.True(expected == RunOutcome.StartsFresh(facts), name);
    }

    [Fact]
    public void A_lost_conversation_that_does_not_start_afresh_is_classified_by_the_usual_rules()
    {
        Assert.Equal(SessionTrigger.FailedTerminal, RunOutcome.Classify(Lost()).Trigger);
        Assert.Equal(SessionTrigger.TaskGone, RunOutcome.Classify(Lost() with { Task = TaskView.Gone }).Trigger);
        Assert.Equal(SessionTrigger.FailedTransient, RunOutcome.Classify(Lost() with { Task = TaskView.Unknown }).Trigger);
    }

    /// <summary>A resume the runtime answered with "no such conversation": an error result, exit 1.</summary>
    private static RunFacts Lost() =>
        Facts(RunExit.ExitCode, failure: ErrorClass.Terminal, resultIsError: true) with { ConversationLost = true };

    private static RunFacts Facts(
        RunExit exit,
        RunStop stop = RunStop.None,
        TaskView task = TaskView.InProgress,
        bool rateLimited = false,
        ErrorClass failure = ErrorClass.None,
        bool resultIsError = false) => new(exit, stop, task, rateLimited, failure, resultIsError);
}
