using System.Runtime.InteropServices;

namespace AgentKanban.Daemon.Infrastructure;

/// <summary>
/// One daemon per state dir: an advisory write lock on <c>daemon.lock</c>, held for the daemon's whole life. The
/// kernel drops it when the process dies (even by <c>kill -9</c>), so a stale pid file can never keep a new daemon
/// out, and a recycled pid can never pass for a daemon: the lock holder is the daemon, by definition.
/// <para>
/// On Linux this is a POSIX record lock (<c>fcntl F_SETLK</c>) rather than <c>flock</c>, for two reasons:
/// <c>F_GETLK</c> tells another process <em>which pid</em> holds it without taking it (so <c>ak daemon status</c>
/// and <c>stop</c> can never make a starting daemon fail by holding the lock for a moment), and .NET itself takes
/// <c>flock</c> shared locks on every file it opens, which would collide with an exclusive <c>flock</c>. The price
/// of record locks: closing <em>any</em> descriptor of the file in the holding process drops the lock, so the
/// daemon opens this file exactly once. They are not inherited by children, so agents never hold it.
/// </para>
/// </summary>
public sealed partial class InstanceLock : IDisposable
{
    private const short F_RDLCK = 0;
    private const short F_WRLCK = 1;
    private const short F_UNLCK = 2;
    private const int F_GETLK = 5;
    private const int F_SETLK = 6;
    private const int EACCES = 13;
    private const int EAGAIN = 11;

    // Record locks belong to the process, so two daemons in one process (tests, embedding hosts) would not
    // exclude each other through the kernel; this set does it for them.
    private static readonly HashSet<string> s_heldInThisProcess = new(StringComparer.Ordinal);

    private readonly FileStream _file;
    private readonly string _path;

    private InstanceLock(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    /// <summary>Takes the lock, or returns null when another daemon holds it.</summary>
    public static InstanceLock? TryAcquire(string path)
    {
        var full = Path.GetFullPath(path);
        lock (s_heldInThisProcess)
        {
            if (s_heldInThisProcess.Contains(full))
            {
                return null;
            }

            FileStream file;
            try
            {
                file = new FileStream(full, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    // Elsewhere than Linux the sharing mode is the lock (.NET's exclusive flock).
                    Share = OperatingSystem.IsLinux() ? FileShare.ReadWrite : FileShare.None,
                    UnixCreateMode = SecureFiles.FileMode,
                });
            }
            catch (IOException) when (!OperatingSystem.IsLinux())
            {
                return null;
            }

            try
            {
                if (OperatingSystem.IsLinux() && !SetLock(file, F_WRLCK))
                {
                    file.Dispose();
                    return null;
                }
            }
            catch
            {
                file.Dispose();
                throw;
            }

            s_heldInThisProcess.Add(full);
            return new InstanceLock(file, full);
        }
    }

    /// <summary>
    /// The pid of the process holding the lock at <paramref name="path"/>; null when nobody holds it (or the file
    /// does not exist). Never takes the lock. Outside Linux the holder cannot be named: -1 means "held".
    /// </summary>
    public static int? Holder(string path)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (IOException) when (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        using (file)
        {
            if (!OperatingSystem.IsLinux())
            {
                return null;
            }

            // Asking "could I take a read lock?" conflicts only with a write lock, which is what a daemon holds.
            var query = new FLock { Type = F_RDLCK, Whence = 0, Start = 0, Length = 0 };
            if (Fcntl(file.SafeFileHandle.DangerousGetHandle().ToInt32(), F_GETLK, ref query) != 0)
            {
                throw new IOException($"cannot query the lock on {path} (errno {Marshal.GetLastPInvokeError()})");
            }

            return query.Type == F_UNLCK ? null : query.Pid;
        }
    }

    public void Dispose()
    {
        lock (s_heldInThisProcess)
        {
            // Closing the descriptor releases the record lock.
            _file.Dispose();
            s_heldInThisProcess.Remove(_path);
        }
    }

    private static bool SetLock(FileStream file, short type)
    {
        var request = new FLock { Type = type, Whence = 0, Start = 0, Length = 0 };
        if (Fcntl(file.SafeFileHandle.DangerousGetHandle().ToInt32(), F_SETLK, ref request) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is EACCES or EAGAIN
            ? false
            : throw new IOException($"cannot lock {file.Name} (errno {errno})");
    }

    /// <summary><c>struct flock</c> on 64-bit Linux (x86-64 and arm64 share the layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct FLock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    // fcntl is variadic; its third argument is a pointer here, passed exactly like a fixed argument on 64-bit Linux.
    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, ref FLock value);
}
