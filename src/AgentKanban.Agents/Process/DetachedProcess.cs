namespace AgentKanban.Agents.Process;

/// <summary>
/// Starts a long-lived background process that outlives its starter (<c>ak daemon start</c>): a new session
/// (<c>POSIX_SPAWN_SETSID</c>, so no terminal hang-up or Ctrl-C reaches it), stdin from <c>/dev/null</c>, stdout and
/// stderr appended to a file (opened <c>O_APPEND</c> in the child, so it never overwrites what other writers add),
/// default signal dispositions and mask, no inherited descriptors from 3 up.
/// </summary>
public static class DetachedProcess
{
    private const int WNOHANG = 1;

    /// <summary>Starts <paramref name="path"/>; returns its pid. Throws <see cref="AgentProcessStartException"/>.</summary>
    public static int Start(
        string path,
        IReadOnlyList<string> argv,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        string outputFile)
    {
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(outputFile);
        return NativeSpawn.Spawn(path, argv, environment, workingDirectory, stdinFd: -1, stdoutFd: -1, stderrFd: -1, appendOutputTo: outputFile);
    }

    /// <summary>
    /// Whether our child <paramref name="pid"/> has exited (reaping it), without waiting. Until the starter exits the
    /// child is ours, and an exited child stays a zombie that <c>kill(pid, 0)</c> still reports as alive — so this,
    /// not a signal probe, is how a starter notices an early exit.
    /// </summary>
    public static bool TryGetExit(int pid, out ProcessExit exit)
    {
        while (true)
        {
            var rc = Posix.waitpid(pid, out var status, WNOHANG);
            if (rc == pid)
            {
                exit = ProcessExit.FromWaitStatus(status);
                return true;
            }

            if (rc < 0 && Posix.LastError == Posix.EINTR)
            {
                continue;
            }

            exit = ProcessExit.Unknown;
            // 0: still running. ECHILD: not our child (any more), so not ours to report.
            return false;
        }
    }
}
