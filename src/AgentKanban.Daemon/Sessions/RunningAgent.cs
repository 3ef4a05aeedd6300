using AgentKanban.Agents.Runtimes;
using AgentKanban.Core.Policies;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Store;

namespace AgentKanban.Daemon.Sessions;

/// <summary>What the supervisor knows about one running agent process (in memory only; the store has the rest).</summary>
internal sealed class RunningAgent(SessionRecord session, DateTimeOffset startedAt)
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _toolsInFlight = new(StringComparer.Ordinal);
    private RunStop _stop = RunStop.None;
    private long _lastOutputTicks = startedAt.UtcTicks;

    /// <summary>The session as last written by this run.</summary>
    public SessionRecord Session { get; set; } = session;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public IAgentProcess? Process { get; set; }

    /// <summary>Relays this run's events to the board's live view (null when relaying is off).</summary>
    public Relay.SessionEventRelay? Relay { get; set; }

    /// <summary>People's messages for the running process (null until it started).</summary>
    public LiveInbox? Inbox { get; set; }

    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A rejected rate limit was reported and not cleared since.</summary>
    public bool RateLimited { get; set; }

    /// <summary>The usage window that rejected this run (null when the rejection named none).</summary>
    public string? RejectedWindow { get; set; }

    public ErrorClass Failure { get; set; }

    public string? FailureDetail { get; set; }

    public bool ResultIsError { get; set; }

    /// <summary>The SIGTERM → SIGKILL grace of a requested stop, when shorter than the usual one (a lost lease).</summary>
    public TimeSpan? StopGrace { get; set; }

    /// <summary>The process was started to continue the provider's conversation (with its resume token).</summary>
    public bool Resumed { get; set; }

    /// <summary>The runtime said it has no conversation under the id it was asked to resume.</summary>
    public bool ConversationLost { get; set; }

    /// <summary>Shutdown asked this agent to stop once its current tool call is done.</summary>
    public bool DrainRequested { get; set; }

    public RunStop StopReason
    {
        get
        {
            lock (_lock)
            {
                return _stop;
            }
        }
    }

    public DateTimeOffset LastOutputAt => new(Interlocked.Read(ref _lastOutputTicks), TimeSpan.Zero);

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastOutputTicks, now.UtcTicks);

    /// <summary>
    /// Forgets what the previous agent process of this run reported, before another one starts in its place (a new
    /// conversation after the old one was lost). A stop already requested stays: it applies to the new process too.
    /// </summary>
    public void NextProcess(DateTimeOffset now)
    {
        Process = null;
        Relay = null;
        Inbox = null;
        RateLimited = false;
        RejectedWindow = null;
        Failure = ErrorClass.None;
        FailureDetail = null;
        ResultIsError = false;
        Resumed = false;
        ConversationLost = false;
        Touch(now);
        lock (_lock)
        {
            _toolsInFlight.Clear();
        }
    }

    /// <summary>Records why the daemon stops this run; the first reason wins. True when this call set it.</summary>
    public bool TrySetStop(RunStop reason)
    {
        lock (_lock)
        {
            if (_stop != RunStop.None)
            {
                return false;
            }

            _stop = reason;
            return true;
        }
    }

    public int ToolsInFlight
    {
        get
        {
            lock (_lock)
            {
                return _toolsInFlight.Count;
            }
        }
    }

    public void ToolStarted(string id)
    {
        lock (_lock)
        {
            _toolsInFlight.Add(id);
        }
    }

    /// <summary>Returns the number of tool calls still in flight.</summary>
    public int ToolFinished(string id)
    {
        lock (_lock)
        {
            _toolsInFlight.Remove(id);
            return _toolsInFlight.Count;
        }
    }
}
