using System.Runtime.InteropServices;
using System.Text;

namespace AgentKanban.Agents.Process;

/// <summary>
/// Starts a child with <c>posix_spawn</c> in a new session (<c>POSIX_SPAWN_SETSID</c>): it leads its own
/// process group, so a signal to the group reaches every helper it starts, and a Ctrl-C meant for the daemon's
/// terminal does not reach it. The child also gets a clean signal state: the daemon's runtime ignores SIGPIPE
/// and blocks some signals, and an exec keeps ignored dispositions and the mask — both are reset here.
/// File descriptors from 3 up are closed in the child, so it inherits no other agent's pipes.
/// </summary>
internal static unsafe class NativeSpawn
{
    private static bool s_closeFromUnavailable;

    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_APPEND = 0x400;
    private const uint OutputFileMode = 0x180; // 0600

    /// <param name="stdinFd">The child's stdin, or -1 for <c>/dev/null</c>.</param>
    /// <param name="appendOutputTo">
    /// When set, the child's stdout and stderr go to this file instead of the descriptors, opened in the child with
    /// <c>O_APPEND</c> (created 0600), so it never overwrites what other writers add.
    /// </param>
    public static int Spawn(
        string path,
        IReadOnlyList<string> argv,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        int stdinFd,
        int stdoutFd,
        int stderrFd,
        string? appendOutputTo = null)
    {
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
            if (stdinFd >= 0)
            {
                Check(Posix.posix_spawn_file_actions_adddup2(fileActions, stdinFd, 0), "dup2 stdin");
            }
            else
            {
                Check(Posix.posix_spawn_file_actions_addopen(fileActions, 0, Utf8Z("/dev/null", allocations), Posix.O_RDONLY, 0), "open /dev/null");
            }

            if (appendOutputTo is not null)
            {
                Check(Posix.posix_spawn_file_actions_addopen(fileActions, 1, Utf8Z(appendOutputTo, allocations), O_WRONLY | O_CREAT | O_APPEND, OutputFileMode),
                    "open " + appendOutputTo);
                Check(Posix.posix_spawn_file_actions_adddup2(fileActions, 1, 2), "dup2 stderr");
            }
            else
            {
                Check(Posix.posix_spawn_file_actions_adddup2(fileActions, stdoutFd, 1), "dup2 stdout");
                Check(Posix.posix_spawn_file_actions_adddup2(fileActions, stderrFd, 2), "dup2 stderr");
            }
            Check(Posix.posix_spawn_file_actions_addchdir_np(fileActions, Utf8Z(workingDirectory, allocations)), "chdir");
            AddCloseFrom(fileActions);

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
            var env = StringArray(environment.Select(kv => $"{kv.Key}={kv.Value}").ToArray(), allocations);
            var rc = Posix.posix_spawn(out var pid, Utf8Z(path, allocations), fileActions, attributes, args, env);
            if (rc != 0)
            {
                throw new AgentProcessStartException($"Cannot start {path}: {Marshal.GetPInvokeErrorMessage(rc)} (errno {rc})")
                {
                    ErrorNumber = rc,
                };
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

    private static void AddCloseFrom(void* fileActions)
    {
        if (s_closeFromUnavailable)
        {
            return;
        }

        try
        {
            // glibc 2.34+. Our own pipes are close-on-exec anyway; this also covers descriptors others leak.
            _ = Posix.posix_spawn_file_actions_addclosefrom_np(fileActions, 3);
        }
        catch (EntryPointNotFoundException)
        {
            s_closeFromUnavailable = true;
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
            if (values[i].Contains('\0', StringComparison.Ordinal))
            {
                throw new AgentProcessStartException("An argument or environment variable contains a NUL character.");
            }

            array[i] = Utf8Z(values[i], allocations);
        }

        return array;
    }
}
