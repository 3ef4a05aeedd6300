using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentKanban.Agents.Process;

public sealed partial class AgentProcess
{
    /// <summary>Starts the process. Throws <see cref="AgentProcessStartException"/> when it cannot be started.</summary>
    public static unsafe AgentProcess Start(AgentProcessOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var time = timeProvider ?? TimeProvider.System;
        logger ??= NullLogger.Instance;
        if (!Directory.Exists(options.WorkingDirectory))
        {
            throw new AgentProcessStartException($"Working directory {options.WorkingDirectory} does not exist.");
        }

        var path = EnvironmentLookup.ResolveExecutable(options.Executable, options.Environment, options.WorkingDirectory)
            ?? throw new AgentProcessStartException($"{options.Executable} not found (PATH of the agent's environment).");

        int stdoutRead = -1, stdoutWrite = -1, stderrRead = -1, stderrWrite = -1, stdinRead = -1, stdinWrite = -1, wake = -1;
        try
        {
            var fds = stackalloc int[2];
            CreatePipe(fds, out stdoutRead, out stdoutWrite);
            CreatePipe(fds, out stderrRead, out stderrWrite);
            if (options.StandardInput is not null || options.KeepStandardInputOpen)
            {
                CreatePipe(fds, out stdinRead, out stdinWrite);
            }

            wake = Posix.eventfd(0, Posix.O_CLOEXEC | Posix.O_NONBLOCK);
            if (wake < 0)
            {
                throw new AgentProcessStartException($"eventfd failed (errno {Posix.LastError})") { ErrorNumber = Posix.LastError };
            }

            var pid = NativeSpawn.Spawn(path, [options.Executable, .. options.Arguments], options.Environment, options.WorkingDirectory,
                stdinRead, stdoutWrite, stderrWrite);

            // The child holds its own copies now. Ours must go, or the output would never reach end-of-file.
            Posix.CloseQuietly(ref stdoutWrite);
            Posix.CloseQuietly(ref stderrWrite);
            Posix.CloseQuietly(ref stdinRead);

            var process = new AgentProcess(options, time, logger, pid, stdoutRead, stderrRead, wake);
            stdoutRead = stderrRead = wake = -1;
            ProcessLog.Started(logger, path, pid, options.WorkingDirectory);
            process.StartThreads(stdinWrite, options.StandardInput);
            stdinWrite = -1;
            return process;
        }
        finally
        {
            Posix.CloseQuietly(ref stdoutRead);
            Posix.CloseQuietly(ref stdoutWrite);
            Posix.CloseQuietly(ref stderrRead);
            Posix.CloseQuietly(ref stderrWrite);
            Posix.CloseQuietly(ref stdinRead);
            Posix.CloseQuietly(ref stdinWrite);
            Posix.CloseQuietly(ref wake);
        }
    }

    private static unsafe void CreatePipe(int* fds, out int readEnd, out int writeEnd)
    {
        // Close-on-exec: no other child (another agent, git) may inherit this pipe and hold it open.
        if (Posix.pipe2(fds, Posix.O_CLOEXEC) != 0)
        {
            throw new AgentProcessStartException($"pipe2 failed (errno {Posix.LastError})") { ErrorNumber = Posix.LastError };
        }

        readEnd = fds[0];
        writeEnd = fds[1];
    }

    private void StartThreads(int stdinWrite, ReadOnlyMemory<byte>? input)
    {
        if (stdinWrite >= 0)
        {
            // Writes on a thread of their own: a child that never reads cannot stall anything else, and once it exits
            // a write fails (EPIPE) instead of blocking.
            _input = new StandardInputWriter(stdinWrite, ProcessId);
            if (input is { IsEmpty: false } data)
            {
                _ = _input.WriteAsync(data, CancellationToken.None);
            }

            if (!_options.KeepStandardInputOpen)
            {
                _input.Close();
            }
        }

        new Thread(WaitForExit) { IsBackground = true, Name = $"agent {ProcessId} wait" }.Start();
        new Thread(ReadLoop) { IsBackground = true, Name = $"agent {ProcessId} output" }.Start();
    }

    private void WaitForExit()
    {
        ProcessExit exit;
        try
        {
            exit = Reap();
        }
        catch (Exception)
        {
            // A thread boundary: nothing may escape it, and the exit must be reported so no one waits forever.
            exit = ProcessExit.Unknown;
        }

        ProcessLog.Exited(_logger, ProcessId, exit);
        _exited = true;
        Wake();
        _exit.TrySetResult(exit);
    }

    private ProcessExit Reap()
    {
        while (true)
        {
            var rc = Posix.waitpid(ProcessId, out var status, 0);
            if (rc == ProcessId)
            {
                return ProcessExit.FromWaitStatus(status);
            }

            if (rc < 0 && Posix.LastError == Posix.EINTR)
            {
                continue;
            }

            // ECHILD: someone else reaped it (only when SIGCHLD was ignored at start-up). It is gone either way.
            return ProcessExit.Unknown;
        }
    }
}
