using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Agents.Process;

/// <summary>
/// One running agent CLI: spawned in its own process group with an explicit environment; its stdout read as
/// a bounded stream of lines (<see cref="Output"/>), its stderr tail kept; stopped with SIGTERM to the group,
/// a grace period, then SIGKILL to the group. Reading goes on to the end of the output after the process
/// exits, but never waits forever on a helper that inherited the pipe (see <see cref="AgentProcessOptions.DrainTimeout"/>).
/// <para>
/// Why not <see cref="System.Diagnostics.Process"/>: it cannot put the child in a new process group (so a stop
/// would miss the agent's own children) and folds "killed by signal N" into an exit code. The runner uses
/// <c>posix_spawn</c> with <c>POSIX_SPAWN_SETSID</c> (the child leads a new session and group, pgid = pid) and
/// reaps the child with <c>waitpid</c> on its own thread. One more thread polls stdout, stderr and a wake-up
/// descriptor, so reading can be cut off at any time without a blocked read.
/// </para>
/// </summary>
public sealed partial class AgentProcess : IAsyncDisposable
{
    private static readonly TimeSpan LingerKillWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan GroupPollInterval = TimeSpan.FromMilliseconds(20);

    private readonly AgentProcessOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OutputBuffer _output;
    private readonly StderrTail _stderr;
    private readonly TaskCompletionSource<ProcessExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _abandon = new();
    private StandardInputWriter? _input;
    private int _stdoutFd;
    private int _stderrFd;
    private int _wakeFd;
    private volatile bool _exited;
    private volatile bool _outputAbandoned;
    private volatile bool _groupGone;
    private long _lastOutputTimestamp;
    private int _disposed;

    private AgentProcess(AgentProcessOptions options, TimeProvider time, ILogger logger, int pid, int stdoutFd, int stderrFd, int wakeFd)
    {
        _options = options;
        _time = time;
        _logger = logger;
        ProcessId = pid;
        _stdoutFd = stdoutFd;
        _stderrFd = stderrFd;
        _wakeFd = wakeFd;
        _output = new OutputBuffer(options.MaxBufferedLines, options.MaxBufferedBytes);
        _stderr = new StderrTail(options.StderrTailBytes);
        _lastOutputTimestamp = time.GetTimestamp();
        StartedAt = time.GetUtcNow();
    }

    /// <summary>The process id, which is also its process group id.</summary>
    public int ProcessId { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>
    /// Standard output, line by line, in order; dropped lines (too long, not UTF-8) appear as such. Completes at the
    /// end of the output. Bounded: while the consumer is behind, reading pauses and the child blocks on its writes.
    /// </summary>
    public ChannelReader<OutputLine> Output => _output.Reader;

    /// <summary>Completes when the main process has exited (and been reaped).</summary>
    public Task<ProcessExit> Exited => _exit.Task;

    /// <summary>Completes when reading has ended: end of output, or abandoned (<see cref="OutputAbandoned"/>).</summary>
    public Task OutputCompleted => _outputDone.Task;

    /// <summary>Reading stopped before the end of the output (a helper kept the pipe open, or the process was disposed).</summary>
    public bool OutputAbandoned => _outputAbandoned;

    /// <summary>The last <see cref="AgentProcessOptions.StderrTailBytes"/> bytes of stderr, as text.</summary>
    public string StandardErrorTail => _stderr.ToString();

    /// <summary>When stdout last produced bytes (a <see cref="TimeProvider"/> timestamp), for a stall watchdog.</summary>
    public long LastOutputTimestamp => Interlocked.Read(ref _lastOutputTimestamp);

    /// <summary>Time since stdout last produced bytes.</summary>
    public TimeSpan SinceLastOutput => _time.GetElapsedTime(LastOutputTimestamp);

    /// <summary>
    /// True while more can be written to the child's standard input: it was started with
    /// <see cref="AgentProcessOptions.KeepStandardInputOpen"/>, <see cref="CloseInput"/> was not called, and the child
    /// still reads it.
    /// </summary>
    public bool InputOpen => _input?.IsOpen == true;

    /// <summary>
    /// Writes <paramref name="data"/> (one whole line, say) to the child's standard input, after everything written
    /// before. True once it is all in the pipe; false when input is closed, was never kept open, or the child stopped
    /// reading (exited). Never blocks: a child that does not read delays only this task.
    /// </summary>
    public Task<bool> WriteInputAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _input is { } input ? input.WriteAsync(data, cancellationToken) : Task.FromResult(false);

    /// <summary>Closes the child's standard input (end of file) once what was written before is in the pipe. Idempotent.</summary>
    public void CloseInput() => _input?.Close();

    /// <summary>Sends a signal to the whole process group; false if the group no longer exists.</summary>
    public bool SignalGroup(int signal)
    {
        // Once the group was seen empty its number may be reused by an unrelated process: never signal it again.
        if (_groupGone)
        {
            return false;
        }

        if (Posix.kill(-ProcessId, signal) == 0)
        {
            return true;
        }

        if (Posix.LastError == Posix.ESRCH && _exit.Task.IsCompleted)
        {
            _groupGone = true;
        }

        return false;
    }

    /// <summary>True while any process of the group exists (including the main one before it is reaped).</summary>
    public bool GroupExists => SignalGroup(0);

    /// <summary>
    /// Stops the whole process group: SIGTERM, then up to <paramref name="grace"/> for the main process and any
    /// helpers in its group to go, then SIGKILL to the group. Works after the main process exited too (its
    /// leftovers are stopped). Escalation is decided by whether the processes are still there — not by whether a
    /// signal was sent.
    /// </summary>
    public async Task<StopResult> StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        var alreadyExited = _exit.Task.IsCompleted;
        var start = _time.GetTimestamp();
        ProcessLog.Stopping(_logger, ProcessId, grace);
        SignalGroup(Posix.SIGTERM);

        var escalated = false;
        if (!alreadyExited)
        {
            using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(grace, _time, delayCancel.Token);
            var first = await Task.WhenAny(_exit.Task, delay);
            await delayCancel.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
            if (first != _exit.Task)
            {
                ProcessLog.Escalated(_logger, ProcessId);
                Kill();
                escalated = true;
            }
        }

        // The main process is gone (or killed); helpers in its group get the rest of the grace period.
        while (!escalated && GroupExists && _time.GetElapsedTime(start) < grace)
        {
            await Task.Delay(GroupPollInterval, _time, cancellationToken);
        }

        if (!escalated && GroupExists)
        {
            ProcessLog.Escalated(_logger, ProcessId);
            Kill();
            escalated = true;
        }

        var exit = await _exit.Task.WaitAsync(cancellationToken);
        return new StopResult(exit, escalated, alreadyExited);
    }

    /// <summary>SIGKILL to the whole group, at once.</summary>
    public void Kill() => SignalGroup(Posix.SIGKILL);

    /// <summary>Stops the group if it still runs (2 s grace), stops reading, releases the descriptors.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_exit.Task.IsCompleted || GroupExists)
        {
            await StopAsync(TimeSpan.FromSeconds(2));
        }

        await _abandon.CancelAsync();
        Wake();
        await _outputDone.Task;
        if (_input is { } input)
        {
            input.Dispose();
            await input.Finished;
        }

        Posix.CloseQuietly(ref _wakeFd);
        _output.Dispose();
        _abandon.Dispose();
    }

    private unsafe void Wake()
    {
        if (_wakeFd < 0)
        {
            return;
        }

        ulong one = 1;
        Posix.write(_wakeFd, (byte*)&one, sizeof(ulong));
    }
}
