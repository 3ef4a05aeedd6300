using System.Runtime.InteropServices;
using System.Text;

namespace AgentKanban.Agents.Process;

/// <summary>
/// Starts a long-lived background process that outlives its starter (<c>ak daemon start</c>): a new session
/// (<c>POSIX_SPAWN_SETSID</c>, so no terminal hang-up or Ctrl-C reaches it), stdin from <c>/dev/null</c>, stdout and
/// stderr appended to a file (opened <c>O_APPEND</c> in the child, so it never overwrites what other writers add),
/// default signal dispositions and mask, no inherited descriptors from 3 up.
/// </summary>
public static unsafe class DetachedProcess
{
    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_APPEND = 0x400;
    private const int WNOHANG = 1;
    private const uint OutputMode = 0x180; // 0600

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
        var allocations = new List<nint>();
        var fileActions = NativeMemory.AllocZeroed(Posix.OpaqueSize);
        var attributes = NativeMemory.AllocZeroed(Posix.OpaqueSize);
        var mask = NativeMemory.AllocZeroed(Posix.OpaqueSize);
        var defaults = NativeMemory.AllocZeroed(Posix.OpaqueSize);
        var actionsReady = false;
        var attributesReady = false;
        try
        {
            Check(Posix.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
            actionsReady = true;
            Check(Posix.posix_spawn_file_actions_addopen(fileActions, 0, Utf8Z("/dev/null", allocations), Posix.O_RDONLY, 0), "open /dev/null");
            Check(Posix.posix_spawn_file_actions_addopen(fileActions, 1, Utf8Z(outputFile, allocations), O_WRONLY | O_CREAT | O_APPEND, OutputMode),
                "open " + outputFile);
            Check(Posix.posix_spawn_file_actions_adddup2(fileActions, 1, 2), "dup2 stderr");
            Check(Posix.posix_spawn_file_actions_addchdir_np(fileActions, Utf8Z(workingDirectory, allocations)), "chdir");
            try
            {
                _ = Posix.posix_spawn_file_actions_addclosefrom_np(fileActions, 3);
            }
            catch (EntryPointNotFoundException)
            {
                // Older glibc: our own descriptors are close-on-exec anyway.
            }

            Check(Posix.posix_spawnattr_init(attributes), "posix_spawnattr_init");
            attributesReady = true;
            _ = Posix.sigemptyset(mask);
            _ = Posix.sigfillset(defaults);
            Check(Posix.posix_spawnattr_setsigmask(attributes, mask), "setsigmask");
            Check(Posix.posix_spawnattr_setsigdefault(attributes, defaults), "setsigdefault");
            Check(Posix.posix_spawnattr_setflags(
                attributes,
                (short)(Posix.POSIX_SPAWN_SETSID | Posix.POSIX_SPAWN_SETSIGMASK | Posix.POSIX_SPAWN_SETSIGDEF)), "setflags");

            var args = StringArray(argv, allocations);
            var env = StringArray([.. environment.Select(kv => $"{kv.Key}={kv.Value}")], allocations);
            var rc = Posix.posix_spawn(out var pid, Utf8Z(path, allocations), fileActions, attributes, args, env);
            if (rc != 0)
            {
                throw new AgentProcessStartException($"cannot start {path}: {Marshal.GetPInvokeErrorMessage(rc)} (errno {rc})") { ErrorNumber = rc };
            }

            return pid;
        }
        finally
        {
            if (actionsReady)
            {
                _ = Posix.posix_spawn_file_actions_destroy(fileActions);
            }

            if (attributesReady)
            {
                _ = Posix.posix_spawnattr_destroy(attributes);
            }

            NativeMemory.Free(fileActions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(mask);
            NativeMemory.Free(defaults);
            foreach (var allocation in allocations)
            {
                NativeMemory.Free((void*)allocation);
            }
        }
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

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new AgentProcessStartException($"{what} failed: {Marshal.GetPInvokeErrorMessage(rc)} (errno {rc})") { ErrorNumber = rc };
        }
    }

    private static byte* Utf8Z(string value, List<nint> allocations)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new AgentProcessStartException("An argument or environment variable contains a NUL character.");
        }

        var count = Encoding.UTF8.GetByteCount(value);
        var memory = (byte*)NativeMemory.Alloc((nuint)count + 1);
        allocations.Add((nint)memory);
        Encoding.UTF8.GetBytes(value, new Span<byte>(memory, count));
        memory[count] = 0;
        return memory;
    }

    private static byte** StringArray(IReadOnlyList<string> values, List<nint> allocations)
    {
        var array = (byte**)NativeMemory.AllocZeroed((nuint)(values.Count + 1), (nuint)sizeof(byte*));
        allocations.Add((nint)array);
        for (var i = 0; i < values.Count; i++)
        {
            array[i] = Utf8Z(values[i], allocations);
        }

        return array;
    }
}
