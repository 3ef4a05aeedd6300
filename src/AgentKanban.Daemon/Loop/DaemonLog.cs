using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Loop;

/// <summary>
/// The daemon's log messages with fixed event ids per area: 41xx dispatch, 42xx agent runs, 43xx rate limits,
/// 44xx recovery and resume, 45xx clean-up, 46xx heartbeat and event stream (4950: stream reset), 47xx host, 48xx leases
/// and self-fencing, 49xx a conversation started afresh. No secrets in any of them.
/// </summary>
internal static partial class DaemonLog
{
    // Dispatch
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Dispatching task {TaskId} to {Runtime} (session {SessionId}, epoch {Epoch})")]
    public static partial void Dispatching(ILogger logger, string taskId, string runtime, string sessionId, long epoch);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Task {TaskId} not dispatched: {Reason}")]
    public static partial void Skipped(ILogger logger, string taskId, string reason);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Task {TaskId} could not be leased: {Reason}")]
    public static partial void LeaseRefused(ILogger logger, string taskId, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Preparing session {SessionId} for task {TaskId} failed ({Class}): {Reason}")]
    public static partial void PrepareFailed(ILogger logger, string sessionId, string taskId, string @class, string reason);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Dispatch pass failed; retrying")]
    public static partial void DispatchPassFailed(ILogger logger, Exception error);

    // Agent runs
    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Agent started for session {SessionId} (task {TaskId}, pid {Pid}, {Mode})")]
    public static partial void AgentStarted(ILogger logger, string sessionId, string taskId, int pid, string mode);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Session {SessionId} (task {TaskId}): agent ended ({Exit}) → {State}: {Reason}")]
    public static partial void AgentEnded(ILogger logger, string sessionId, string taskId, string exit, string state, string reason);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "Session {SessionId}: skipped an unusable output line: {Reason}")]
    public static partial void LineSkipped(ILogger logger, string sessionId, string reason);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "Session {SessionId}: stopping the agent ({Reason})")]
    public static partial void Stopping(ILogger logger, string sessionId, string reason);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Error, Message = "Session {SessionId}: agent could not be started: {Reason}")]
    public static partial void SpawnFailed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(EventId = 4206, Level = LogLevel.Error, Message = "Session {SessionId}: run supervision failed; the session is left for the reconcile pass")]
    public static partial void RunFailed(ILogger logger, string sessionId, Exception error);

    [LoggerMessage(EventId = 4207, Level = LogLevel.Warning, Message = "Session {SessionId}: transition {Trigger} not applied ({Status}): {Message}")]
    public static partial void TransitionNotApplied(ILogger logger, string sessionId, string trigger, string status, string? message);

    [LoggerMessage(EventId = 4208, Level = LogLevel.Warning, Message = "Session {SessionId}: agent reported an error ({Code}): {Detail}")]
    public static partial void AgentError(ILogger logger, string sessionId, string? code, string detail);

    [LoggerMessage(EventId = 4209, Level = LogLevel.Information, Message = "Session {SessionId}: the agent's stderr ended with: {Tail}")]
    public static partial void AgentStderr(ILogger logger, string sessionId, string tail);

    [LoggerMessage(EventId = 4210, Level = LogLevel.Warning, Message = "Session {SessionId}: people's messages on the task could not be read for this launch ({Error}); they wait for the next one")]
    public static partial void HumanMessagesUnavailable(ILogger logger, string sessionId, string error);

    [LoggerMessage(EventId = 4211, Level = LogLevel.Information, Message = "Session {SessionId}: handing {Count} message(s) from people to the agent with its prompt")]
    public static partial void HumanMessagesDelivered(ILogger logger, string sessionId, int count);

    [LoggerMessage(EventId = 4212, Level = LogLevel.Information, Message = "Session {SessionId}: message {MessageId} written to the running agent's input")]
    public static partial void LiveMessageSent(ILogger logger, string sessionId, string messageId);

    [LoggerMessage(EventId = 4213, Level = LogLevel.Information, Message = "Session {SessionId}: the agent took message {MessageId} into its conversation")]
    public static partial void LiveMessageAccepted(ILogger logger, string sessionId, string messageId);

    [LoggerMessage(EventId = 4214, Level = LogLevel.Information, Message = "Session {SessionId}: the agent's input is closed ({Reason}); later messages wait for its next launch")]
    public static partial void LiveInputClosed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(EventId = 4215, Level = LogLevel.Warning, Message = "Session {SessionId}: handing a message to the running agent failed: {Error}")]
    public static partial void LiveMessageFailed(ILogger logger, string sessionId, string error);

    // Rate limits
    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "Runtime {Runtime} rate limited (session {SessionId}): paused until {Until} ({Reason})")]
    public static partial void RateLimited(ILogger logger, string runtime, string sessionId, DateTimeOffset until, string reason);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Runtime {Runtime} rate limit cleared (session {SessionId})")]
    public static partial void RateLimitCleared(ILogger logger, string runtime, string sessionId);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "Runtime {Runtime}: {Reason} (session {SessionId})")]
    public static partial void RateLimitKept(ILogger logger, string runtime, string sessionId, string reason);

    // Recovery and resume
    [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "Recovery: {Open} open sessions; resumed in place {Resumed}, in review kept {InReview}, waiting for their time {Waiting}, preparing continued {Preparing}, cleaned up {CleanedUp}, retry later {Later}, stray processes killed {Killed}")]
    public static partial void RecoverySummary(ILogger logger, int open, int resumed, int inReview, int waiting, int preparing, int cleanedUp, int later, int killed);

    [LoggerMessage(EventId = 4402, Level = LogLevel.Information, Message = "Recovery: session {SessionId} (task {TaskId}, {State}) → {Decision}: {Reason}")]
    public static partial void RecoveryDecision(ILogger logger, string sessionId, string taskId, string state, string decision, string reason);

    [LoggerMessage(EventId = 4403, Level = LogLevel.Information, Message = "Resuming session {SessionId} (task {TaskId}) from {State}")]
    public static partial void Resuming(ILogger logger, string sessionId, string taskId, string state);

    [LoggerMessage(EventId = 4404, Level = LogLevel.Information, Message = "Session {SessionId} waits until {At}: {Reason}")]
    public static partial void Postponed(ILogger logger, string sessionId, DateTimeOffset at, string reason);

    [LoggerMessage(EventId = 4405, Level = LogLevel.Warning, Message = "Killed stray agent process {Pid} of session {SessionId} left by a previous daemon")]
    public static partial void StrayKilled(ILogger logger, int pid, string sessionId);

    [LoggerMessage(EventId = 4406, Level = LogLevel.Warning, Message = "Session {SessionId}: continuing failed; retried later")]
    public static partial void ContinueFailed(ILogger logger, string sessionId, Exception error);

    [LoggerMessage(EventId = 4407, Level = LogLevel.Information, Message = "Session {SessionId}: task lease lapsed and was taken again (epoch {Old} → {New}); new server session {ServerSessionId}")]
    public static partial void Reclaimed(ILogger logger, string sessionId, long old, long @new, string serverSessionId);

    // Clean-up
    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Session {SessionId} closed (workspace removed{Wip})")]
    public static partial void Closed(ILogger logger, string sessionId, string wip);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "Session {SessionId}: workspace clean-up failed; retried later: {Reason}")]
    public static partial void CleanupFailed(ILogger logger, string sessionId, string reason);

    // Heartbeat and event stream
    [LoggerMessage(EventId = 4601, Level = LogLevel.Warning, Message = "Heartbeat failed: {Reason}")]
    public static partial void HeartbeatFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 4602, Level = LogLevel.Information, Message = "Event stream connected (after event {LastEventId})")]
    public static partial void StreamConnected(ILogger logger, long? lastEventId);

    [LoggerMessage(EventId = 4603, Level = LogLevel.Information, Message = "Event stream lost ({Reason}); reconnecting in {Delay}, polling meanwhile")]
    public static partial void StreamLost(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 4950, Level = LogLevel.Warning,
        Message = "Event stream reset: the server pruned events up to {PrunedThrough}, past the last one seen; dispatching and checking every watched task again, then following from event {HeadId}")]
    public static partial void StreamReset(ILogger logger, long? prunedThrough, long headId);

    // Host
    [LoggerMessage(EventId = 4701, Level = LogLevel.Information, Message = "Daemon started: machine {MachineId} ({MachineName}) on {Server}; state in {StateDir}; runtimes: {Runtimes}")]
    public static partial void Started(ILogger logger, string machineId, string machineName, string server, string stateDir, string runtimes);

    [LoggerMessage(EventId = 4702, Level = LogLevel.Information, Message = "Shutting down: no new work; running agents finish their current step (up to {Timeout}) and resume on the next start")]
    public static partial void Draining(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 4703, Level = LogLevel.Warning, Message = "Shutting down now: stopping {Count} running agents (their sessions resume on the next start)")]
    public static partial void Aborting(ILogger logger, int count);

    [LoggerMessage(EventId = 4704, Level = LogLevel.Information, Message = "Daemon stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(EventId = 4705, Level = LogLevel.Error, Message = "Daemon loop failed; retrying")]
    public static partial void LoopFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 4850, Level = LogLevel.Warning, Message = "No heartbeat confirmed for {Unconfirmed} (lease {Ttl}): stopping every agent before the server could give their tasks to another machine; no agent starts until the server confirms this machine's leases again")]
    public static partial void LeasesUnconfirmed(ILogger logger, TimeSpan unconfirmed, TimeSpan ttl);

    [LoggerMessage(EventId = 4851, Level = LogLevel.Information, Message = "The server confirmed this machine's leases again; stopped sessions continue where their tasks are still theirs")]
    public static partial void LeasesConfirmedAgain(ILogger logger);

    [LoggerMessage(EventId = 4852, Level = LogLevel.Warning, Message = "Lease of task {TaskId} lost (session {SessionId}): {Reason}; stopping its agent")]
    public static partial void LeaseLost(ILogger logger, string taskId, string sessionId, string reason);

    [LoggerMessage(EventId = 4853, Level = LogLevel.Information, Message = "This machine holds the lease of task {TaskId} (epoch {Epoch}, {Status}) without a session for it: giving it back")]
    public static partial void OrphanLease(ILogger logger, string taskId, long epoch, string status);

    [LoggerMessage(EventId = 4854, Level = LogLevel.Information, Message = "Restored the claim on task {TaskId} for session {SessionId} under its new lease (epoch {Epoch})")]
    public static partial void ClaimRestored(ILogger logger, string taskId, string sessionId, long epoch);

    [LoggerMessage(EventId = 4855, Level = LogLevel.Warning, Message = "Reconciling leases with the heartbeat answer failed: {Error}")]
    public static partial void LeaseReconcileFailed(ILogger logger, string error);

    // A session starting a new conversation after the runtime lost the one it was to continue
    [LoggerMessage(EventId = 4900, Level = LogLevel.Warning, Message = "Session {SessionId}: the runtime has no conversation {LostId} to continue; starting a new one ({NewId}) told what happened on the task so far")]
    public static partial void StartingFresh(ILogger logger, string sessionId, string lostId, string newId);

    [LoggerMessage(EventId = 4901, Level = LogLevel.Warning, Message = "Session {SessionId}: what happened on the task so far could not be read ({Error}); the new conversation starts from the task alone")]
    public static partial void TaskHistoryUnavailable(ILogger logger, string sessionId, string error);
}
