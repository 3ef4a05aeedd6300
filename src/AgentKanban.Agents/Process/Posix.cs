using System.Runtime.InteropServices;

namespace AgentKanban.Agents.Process;

/// <summary>
/// The few libc calls the process runner needs (Linux, glibc). .NET's Process cannot start a child in
/// a new process group or report the signal that ended it, so the runner spawns with posix_spawn and
/// reaps with waitpid itself.
/// </summary>
internal static unsafe partial class Posix
{
    private const string Libc = "libc";

    public const int EINTR = 4;
    public const int ESRCH = 3;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int EPIPE = 32;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    public const int O_RDONLY = 0;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const short POLLIN = 0x1;
    public const short POLLOUT = 0x4;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;
    public const short POSIX_SPAWN_SETSID = 0x80;

    /// <summary>
    /// Opaque glibc structures are smaller than this (file actions 80 bytes, attributes 336, sigset 128);
    /// allocating generously keeps us independent of the exact layout.
    /// </summary>
    public const int OpaqueSize = 1024;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Libc)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Libc)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Libc)]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Libc)]
    public static partial int posix_spawn_file_actions_addopen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport(Libc)]
    public static partial int posix_spawn_file_actions_addchdir_np(void* fileActions, byte* path);

    [LibraryImport(Libc)]
    public static partial int posix_spawn_file_actions_addclosefrom_np(void* fileActions, int from);

    [LibraryImport(Libc)]
    public static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport(Libc)]
    public static partial int posix_spawnattr_destroy(void* attributes);

    [LibraryImport(Libc)]
    public static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport(Libc)]
    public static partial int posix_spawnattr_setsigmask(void* attributes, void* sigset);

    [LibraryImport(Libc)]
    public static partial int posix_spawnattr_setsigdefault(void* attributes, void* sigset);

    [LibraryImport(Libc)]
    public static partial int sigemptyset(void* sigset);

    [LibraryImport(Libc)]
    public static partial int sigfillset(void* sigset);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int close(int fd);

    /// <summary><c>fcntl</c> with one int argument (F_GETFL, F_SETFL): variadic in C, the same registers on x64 and arm64.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport(Libc)]
    public static partial uint geteuid();

    [LibraryImport(Libc)]
    public static partial uint getegid();

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>Writes all of <paramref name="data"/>, retrying on interrupts; false if the reader went away.</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var n = write(fd, start + offset, data.Length - offset);
                if (n < 0)
                {
                    if (LastError == EINTR)
                    {
                        continue;
                    }

                    return false;
                }

                offset += (int)n;
            }
        }

        return true;
    }

    public static void CloseQuietly(ref int fd)
    {
        if (fd >= 0)
        {
            close(fd);
            fd = -1;
        }
    }
}
