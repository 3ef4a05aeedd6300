using System.Collections.Concurrent;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Sandbox;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// Runs agent processes for sessions that are already <see cref="SessionState.Active"/> in the store (the
/// state is committed BEFORE the spawn, so a crash at any instant leaves a session the recovery pass resumes).
/// Routes the agent's events (rate limits to the policy and the store, text and usage to the outbox), watches
/// for stalls and timeouts, and when the process ends classifies the run and applies the transition.
/// </summary>
public sealed partial class SessionSupervisor(
    SessionStore store,
    SessionEndings endings,
    RuntimeGate gate,
    OutboxDeliverer outbox,
    BoardApiClient api,
    IAgentHost host,
    DaemonContext context,
    TimeProvider timeProvider,
    ILogger<SessionSupervisor> logger)
{
    private readonly ConcurrentDictionary<string, RunningAgent> _running = new(StringComparer.Ordinal);
    private readonly Relay.AgentEventRelays _relays = new(api, store.Database, context.Options.AgentEvents, timeProvider, logger);
    private readonly HumanMessages _inbox = new(api, new MetaStore(store.Database), new DeliveredMessageStore(store.Database), logger);

    /// <summary>A run ended and its transition committed (a slot is free; the loop re-plans).</summary>
    public event Action<SessionRecord>? RunEnded;

    /// <summary>A run is over and no longer counts against the caps (after <see cref="RunEnded"/>, once its slot is free).</summary>
    public event Action? SlotFreed;

    /// <summary>An agent process was started (benchmarks measure dispatch latency to this instant).</summary>
    public event Action<SessionRecord, int>? ProcessStarted;

    public int RunningCount => _running.Count;

    public bool IsRunning(string sessionId) => _running.ContainsKey(sessionId);

    public int RunningOn(string runtime) => _running.Values.Count(r => r.Session.Runtime == runtime);

    /// <summary>
    /// A message was posted on <paramref name="taskId"/> (the machine's event stream): the agent running for it, if any,
    /// gets it now when its runtime takes live input. Never blocks: it is queued for the run's inbox.
    /// </summary>
    public void OfferMessage(string taskId, MessageDto message)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var run in _running.Values)
        {
            if (run.Session.TaskId == taskId)
            {
                run.Inbox?.Offer(message);
            }
        }
    }

    /// <summary>
    /// Starts the agent for <paramref name="session"/> (committed <see cref="SessionState.Active"/>), in the
    /// background: it continues the provider's conversation with <paramref name="resumePrompt"/> when there is one
    /// to continue, and otherwise starts it with the task prompt. Takes over <paramref name="claim"/> and releases
    /// it when the run's end is committed. <paramref name="launchPrepared"/>: the transition that made it Active already
    /// applied <see cref="SessionRecord.PrepareLaunch"/>.
    /// </summary>
    public void Start(SessionRecord session, string resumePrompt, SessionClaims.Claim claim, bool launchPrepared, CancellationToken daemonStopping)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(claim);
        var run = new RunningAgent(session, timeProvider.GetUtcNow());
        if (!_running.TryAdd(session.Id, run))
        {
            claim.Dispose();
            throw new InvalidOperationException($"session {session.Id} is already running");
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await RunAsync(run, resumePrompt, launchPrepared, daemonStopping);
            }
            catch (Exception e) when (e is not OperationCanceledException || !daemonStopping.IsCancellationRequested)
            {
                // Supervision itself failed (the store, say). Park the session with a backoff so it is retried later
                // rather than at once in a loop; if even that fails it stays Active and the reconcile pass resumes it.
                DaemonLog.RunFailed(logger, session.Id, e);
                await ParkAfterFailureAsync(run, e);
            }
            finally
            {
                _running.TryRemove(session.Id, out _);
                claim.Dispose();
                run.Ended.TrySetResult();
                SlotFreed?.Invoke();
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// Asks a running agent to stop (task gone, lease lost, shutdown); the run then ends and is classified with that
    /// reason. <paramref name="grace"/> shortens the SIGTERM → SIGKILL grace (a lost lease must not wait long).
    /// </summary>
    public void RequestStop(string sessionId, RunStop reason, TimeSpan? grace = null)
    {
        if (_running.TryGetValue(sessionId, out var run))
        {
            Stop(run, reason, grace);
        }
    }

    /// <summary>
    /// Self-fencing: no heartbeat was confirmed in time, so every agent stops now, with <paramref name="grace"/> between
    /// SIGTERM and SIGKILL of its process group — even one already draining after a tool call. Their sessions stay
    /// active and continue once the server confirms their tasks are still this machine's.
    /// </summary>
    public int FenceAll(TimeSpan grace)
    {
        var count = 0;
        foreach (var run in _running.Values)
        {
            Stop(run, RunStop.LeaseLost, grace);
            count++;
        }

        return count;
    }

    /// <summary>
    /// First stage of shutdown: agents with no tool call in flight stop now; the others stop as soon as their
    /// current tool call returns. Their sessions stay active and resume in place on the next start.
    /// </summary>
    public void BeginDrain()
    {
        foreach (var run in _running.Values)
        {
            run.DrainRequested = true;
            if (run.ToolsInFlight == 0)
            {
                Stop(run, RunStop.Shutdown);
            }
        }
    }

    /// <summary>Second stage: stop every agent now.</summary>
    public int AbortAll()
    {
        var count = 0;
        foreach (var run in _running.Values)
        {
            Stop(run, RunStop.Shutdown);
            count++;
        }

        return count;
    }

    /// <summary>Completes when no agent runs any more (or the token fires).</summary>
    public async Task WhenAllEndedAsync(CancellationToken cancellationToken)
    {
        while (!_running.IsEmpty)
        {
            var pending = _running.Values.Select(r => r.Ended.Task).ToArray();
            await Task.WhenAll(pending).WaitAsync(cancellationToken);
        }
    }

    private async Task ParkAfterFailureAsync(RunningAgent run, Exception error)
    {
        try
        {
            if (run.Process is { } process)
            {
                await process.StopAsync(context.Options.StopGracePeriod, CancellationToken.None);
            }

            var current = await store.GetAsync(run.Session.Id, CancellationToken.None);
            if (current?.State == SessionState.Active)
            {
                await endings.ApplyAsync(current, SessionState.Active,
                    new RunVerdict(SessionTrigger.FailedTransient, "daemon error while supervising the agent: " + error.Message, false),
                    TaskView.Unknown, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            DaemonLog.RunFailed(logger, run.Session.Id, e);
        }
    }

    private void Stop(RunningAgent run, RunStop reason, TimeSpan? grace = null)
    {
        // The first reason classifies the run; a lease that is lost still cuts a slower stop already under way short.
        if (!run.TrySetStop(reason) && reason != RunStop.LeaseLost)
        {
            return;
        }

        run.StopGrace = grace;
        DaemonLog.Stopping(logger, run.Session.Id, reason.ToString());
        if (run.Process is { } process)
        {
            _ = StopProcessAsync(run, process);
        }
    }

    private async Task StopProcessAsync(RunningAgent run, IAgentProcess process)
    {
        try
        {
            await process.StopAsync(run.StopGrace ?? context.Options.StopGracePeriod, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            DaemonLog.RunFailed(logger, run.Session.Id, e);
        }
    }

    private async Task RunAsync(RunningAgent run, string resumePrompt, bool launchPrepared, CancellationToken daemonStopping)
    {
        var session = run.Session;
        run.Session = launchPrepared
            ? session
            : await store.UpdateAsync(session.Id, s => s.PrepareLaunch(), null, CancellationToken.None) ?? session;
        var exit = await RunProcessAsync(run, resumePrompt, null, daemonStopping);
        if (await FinishAsync(run, exit, allowFreshStart: true, daemonStopping) is not { } lost)
        {
            return;
        }

        // The runtime no longer has the conversation this run was to continue. Start a new one, once: the resume token is
        // dropped and a new provider session id chosen in the store first, so a crash from here on also starts afresh.
        var lostId = run.Session.ProviderSessionId;
        run.Session = await store.UpdateAsync(session.Id, s => (s with { ResumeToken = null }).PrepareLaunch(), null, CancellationToken.None)
            ?? throw new InvalidOperationException($"session {session.Id} vanished from the store");
        DaemonLog.StartingFresh(logger, session.Id, lostId, run.Session.ProviderSessionId);
        run.NextProcess(timeProvider.GetUtcNow());
        exit = await RunProcessAsync(run, resumePrompt, lost.Task, daemonStopping);
        await FinishAsync(run, exit, allowFreshStart: false, daemonStopping);
    }

    /// <summary>
    /// Runs one agent process for <paramref name="run"/>'s session as last prepared, to its end. The prompt: the launch's
    /// own (<paramref name="resumePrompt"/>) when a conversation is continued; the task when one starts; and when a new
    /// conversation starts for a session that ran before (its conversation was lost), the task and what happened on it so
    /// far (<paramref name="task"/> as the server last showed it, or read now).
    /// </summary>
    private async Task<AgentExit> RunProcessAsync(RunningAgent run, string resumePrompt, TaskDto? task, CancellationToken daemonStopping)
    {
        var session = run.Session;
        run.Resumed = session.ResumeToken is not null;
        var startsOver = !run.Resumed && session.Launches > 1;
        if (startsOver && task is null)
        {
            task = await _inbox.FindTaskAsync(session, daemonStopping);
        }

        // What people wrote on the task since this agent last started reaches it with this prompt (no mid-run input).
        var messages = await _inbox.PendingAsync(session, task, daemonStopping);
        var prompt = run.Resumed
            ? resumePrompt
            : session.TaskPrompt ?? throw new InvalidOperationException($"session {session.Id} has no task prompt");
        if (startsOver)
        {
            prompt = Prompts.FreshStart(prompt, task, messages, resumePrompt);
        }

        prompt = Prompts.WithMessages(prompt, messages);

        IAgentProcess process;
        try
        {
            process = StartProcess(session, prompt);
        }
        catch (Exception e) when (e is AgentLaunchException or InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            DaemonLog.SpawnFailed(logger, session.Id, e.Message);
            run.FailureDetail = e.Message;
            return new AgentExit(RunExit.SpawnFailed, null, null, e.Message);
        }

        await using (process)
        {
            run.Process = process;
            // Crash point: the process runs (its environment names the session); a restart finds it by that, kills its
            // process group, and resumes the session in place. No extra write here: the spawn path stays one commit.
            store.Database.CrashPoints.Reached(CrashPoint.ProcessSpawned);
            DaemonLog.AgentStarted(logger, session.Id, session.TaskId, process.ProcessId, session.ResumeToken is not null ? "resume" : "new");
            ProcessStarted?.Invoke(run.Session, process.ProcessId);
            if (messages.Count > 0)
            {
                DaemonLog.HumanMessagesDelivered(logger, session.Id, messages.Count);
                await _inbox.DeliveredAsync(session, messages, timeProvider.GetUtcNow());
            }

            context.Options.OnAgentStarted?.Invoke(run.Session.Id, run.Session.TaskId, process.ProcessId, session.ResumeToken is not null);

            // A stop requested before the process existed (shutdown raced the spawn) applies now.
            if (run.StopReason != RunStop.None)
            {
                _ = StopProcessAsync(run, process);
            }

            // The live view of this run (disposed — flushed within a bound — however the run ends).
            await using var relay = _relays.Start(run.Session);
            run.Relay = relay;
            using var runEnded = new CancellationTokenSource();
            // People's messages posted from now on reach the agent while it works (when its runtime takes live input).
            var inbox = new LiveInbox(run, process, _inbox, messages, context.Options.LiveMessagePollInterval, timeProvider, logger);
            run.Inbox = inbox;
            var liveMessages = inbox.RunAsync(runEnded.Token);
            var watchdog = WatchAsync(run, runEnded.Token);
            var pump = PumpAsync(run, process, runEnded.Token);
            var exit = await process.WaitForExitAsync(CancellationToken.None);

            // The stream normally ends with the process; a helper that inherited the pipe can keep it open.
            // Give the reader a moment, then stop reading and take the rest of the process group down.
            if (await Task.WhenAny(pump, Task.Delay(TimeSpan.FromSeconds(5), timeProvider, CancellationToken.None)) != pump)
            {
                await runEnded.CancelAsync();
                await process.StopAsync(TimeSpan.Zero, CancellationToken.None);
            }

            await runEnded.CancelAsync();
            await SwallowAsync(pump);
            await SwallowAsync(watchdog);
            await SwallowAsync(liveMessages);
            // The run's last events reach the board before its ending is reported (and its session closed).
            if (relay is not null)
            {
                await relay.CompleteAsync();
            }

            return exit;
        }
    }

    private IAgentProcess StartProcess(SessionRecord session, string prompt)
    {
        var runtime = AgentRuntimes.Find(session.Runtime)
            ?? throw new AgentLaunchException($"runtime {session.Runtime} is not supported by this daemon");
        var executable = context.Runtimes.ExecutableFor(session.Runtime)
            ?? throw new AgentLaunchException($"runtime {session.Runtime} is not installed on this machine");
        if (session.Workspace is null || !Directory.Exists(session.Workspace))
        {
            throw new AgentLaunchException($"the session's workspace {session.Workspace ?? "(none)"} does not exist");
        }

        var environment = AgentEnvironment.Build(context.Environment, session, context.Server, context.MachineKey, context.AkDirectory);
        return runtime.Start(new AgentLaunchSpec(
            session.Runtime,
            executable,
            session.Workspace,
            prompt,
            session.ProviderSessionId,
            session.ResumeToken,
            session.Model,
            session.PermissionMode ?? context.Options.DefaultPermissionMode,
            session.SystemPrompt ?? string.Empty,
            environment,
            context.Sandbox?.Mode == SandboxMode.On,
            session.AgentCommand), host);
    }

    private async Task PumpAsync(RunningAgent run, IAgentProcess process, CancellationToken cancellationToken)
    {
        await foreach (var output in process.ReadAsync(cancellationToken))
        {
            run.Touch(timeProvider.GetUtcNow());
            if (output.Event is { } agentEvent)
            {
                await HandleEventAsync(run, agentEvent, cancellationToken);
                if (agentEvent is TurnEnded)
                {
                    // With live input the runtime waits for more after a turn: the input closes now unless a message is
                    // on its way in (then the runtime starts another turn with it), and closes at once when the run should end.
                    var endNow = run.RateLimited || run.ConversationLost || run.DrainRequested || run.StopReason != RunStop.None;
                    run.Inbox?.TurnEnded(endNow, cancellationToken);
                }
            }
            else if (output.SkippedLine is { } reason)
            {
                DaemonLog.LineSkipped(logger, run.Session.Id, reason);
            }
        }
    }

    /// <summary>The stall watchdog and the task timeout.</summary>
    private async Task WatchAsync(RunningAgent run, CancellationToken cancellationToken)
    {
        var stall = context.Options.StallTimeout;
        var timeout = context.Options.TaskTimeout;
        if (stall <= TimeSpan.Zero && timeout <= TimeSpan.Zero)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var now = timeProvider.GetUtcNow();
            var stallAt = stall > TimeSpan.Zero ? run.LastOutputAt + stall : DateTimeOffset.MaxValue;
            var timeoutAt = timeout > TimeSpan.Zero ? run.StartedAt + timeout : DateTimeOffset.MaxValue;
            if (now >= timeoutAt)
            {
                Stop(run, RunStop.TaskTimeout);
                return;
            }

            if (now >= stallAt)
            {
                Stop(run, RunStop.StallWatchdog);
                return;
            }

            var next = (stallAt < timeoutAt ? stallAt : timeoutAt) - now;
            await Task.Delay(next < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : next, timeProvider, cancellationToken);
        }
    }

    private static async Task SwallowAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
            // Reading stopped on purpose.
        }
    }
}
