using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Loop;

namespace AgentKanban.Daemon.Sessions;

public sealed partial class SessionSupervisor
{
    /// <summary>
    /// The process ended: ask the server where the task stands (unless shutting down), classify the run with
    /// <see cref="RunOutcome"/>, and commit the transition with everything it implies. Except when the run found its
    /// conversation gone and <paramref name="allowFreshStart"/>: then nothing is committed and the server's answer is
    /// returned, for a new conversation to start in the run's place (<see cref="RunOutcome.StartsFresh"/>).
    /// </summary>
    private async Task<TaskCheck?> FinishAsync(RunningAgent run, AgentExit exit, bool allowFreshStart, CancellationToken daemonStopping)
    {
        var session = run.Session;
        var stop = run.StopReason;
        TaskCheck check;
        if (stop == RunStop.Shutdown)
        {
            // No server round-trip while shutting down: the session stays active and the next start checks the task.
            check = new TaskCheck(TaskStanding.Unknown, null, "shutting down");
        }
        else
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15), timeProvider);
            check = await TaskChecks.CheckAsync(api, session, context.MachineId, timeProvider.GetUtcNow(), timeout.Token);
        }

        var view = check.ToView();
        // Asked for review and already rejected (the reviewer was quicker than this look): it counts as reviewed,
        // and the session resumes with the reviewer's reason right away.
        var rejectedAlready = view == TaskView.InProgress
            && check.ReviewRequestedBy(session.ServerSessionId, run.StartedAt - TaskCheck.ClockMargin);
        if (rejectedAlready)
        {
            view = TaskView.InReview;
        }

        var facts = new RunFacts(exit.Kind, stop, view, run.RateLimited, run.Failure, run.ResultIsError, run.Resumed && run.ConversationLost);
        if (allowFreshStart && RunOutcome.StartsFresh(facts))
        {
            return check;
        }

        var verdict = RunOutcome.Classify(facts);
        if (check.Standing == TaskStanding.Reclaimable && verdict.Trigger == SessionTrigger.FailedTransient)
        {
            verdict = verdict with { Reason = check.Reason };
        }
        else if (verdict.Trigger is SessionTrigger.FailedTerminal or SessionTrigger.FailedTransient && DescribeFailure(run, exit) is { } detail)
        {
            verdict = verdict with { Reason = $"{verdict.Reason}: {detail}" };
        }

        var result = await endings.ApplyAsync(session, SessionState.Active, verdict, facts.Task, CancellationToken.None);
        var ended = result.Session ?? session;
        DaemonLog.AgentEnded(logger, session.Id, session.TaskId, Describe(exit), ended.State.ToName(),
            $"{verdict.Reason} (task: {check.Task?.Status ?? "?"}, {check.Reason})");
        if (!string.IsNullOrWhiteSpace(exit.ErrorTail))
        {
            DaemonLog.AgentStderr(logger, session.Id, Tail(exit.ErrorTail, 2000));
        }
        if (result.Applied && rejectedAlready && ended.State == SessionState.InReview)
        {
            await endings.PostponeAsync(ended, timeProvider.GetUtcNow(), "review rejected; resuming with the reviewer's reason", false, CancellationToken.None);
        }

        if (result.Applied)
        {
            RunEnded?.Invoke(ended);
        }

        daemonStopping.ThrowIfCancellationRequested();
        return null;
    }

    private static string? DescribeFailure(RunningAgent run, AgentExit exit)
    {
        var detail = run.FailureDetail ?? exit.ErrorTail;
        if (string.IsNullOrWhiteSpace(detail))
        {
            return null;
        }

        detail = detail.Trim().ReplaceLineEndings(" ");
        return detail.Length > 300 ? detail[..300] + "…" : detail;
    }

    private static string Tail(string text, int max) => text.Length <= max ? text : "…" + text[^max..];

    private static string Describe(AgentExit exit) => exit.Kind switch
    {
        RunExit.Clean => "exit 0",
        RunExit.ExitCode => $"exit {exit.ExitCode}",
        RunExit.Signal => $"signal {exit.Signal}",
        RunExit.SpawnFailed => "not started",
        _ => exit.Kind.ToString(),
    };
}
