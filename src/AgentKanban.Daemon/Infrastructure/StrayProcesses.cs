using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace AgentKanban.Daemon.Infrastructure;

/// <summary>
/// Finds and kills agent processes a previous daemon left behind (a daemon killed with SIGKILL cannot take its
/// children along). An agent is recognised by <c>AK_SESSION_ID</c> in its environment, read from <c>/proc</c>, so a
/// recycled pid is never mistaken for one; its whole process group is stopped (SIGTERM, a short grace, SIGKILL).
/// Without this, a session resumed after a restart could run twice. The variable holds the server's session id, which is
/// the local id, or <c>&lt;local id&gt;-e&lt;epoch&gt;</c> after a lapsed lease was taken again; every form is matched to
/// its local session, so an agent started under an earlier lease is found as well as one started under the current.
/// </summary>
public static partial class StrayProcesses
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    /// <summary>
    /// Finds every agent process of the sessions <paramref name="localSessionIds"/> and stops it with its process group,
    /// session by session; <paramref name="killed"/> (session id, pid) hears of each one once its session's are stopped.
    /// Returns how many processes or groups were signalled.
    /// </summary>
    public static async Task<int> KillSessionsAsync(
        IEnumerable<string> localSessionIds, TimeSpan grace, TimeProvider timeProvider, Action<string, int>? killed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(localSessionIds);
        var signalled = 0;
        foreach (var (sessionId, pids) in Find(localSessionIds.ToHashSet(StringComparer.Ordinal)))
        {
            signalled += await KillAsync(pids, grace, timeProvider, cancellationToken);
            foreach (var pid in pids)
            {
                killed?.Invoke(sessionId, pid);
            }
        }

        return signalled;
    }

    /// <summary>Every agent process of one of the sessions <paramref name="localSessionIds"/>, keyed by the local id.</summary>
    private static Dictionary<string, List<int>> Find(HashSet<string> localSessionIds)
    {
        var found = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        if (localSessionIds.Count == 0 || !Directory.Exists("/proc"))
        {
            return found;
        }

        var self = Environment.ProcessId;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self)
            {
                continue;
            }

            var id = LocalSessionOf(SessionIdOf(pid), localSessionIds);
            if (id is not null)
            {
                if (!found.TryGetValue(id, out var list))
                {
                    found[id] = list = [];
                }

                list.Add(pid);
            }
        }

        return found;
    }

    /// <summary>Stops the processes (and their process groups when they lead one). Returns how many were signalled.</summary>
    private static async Task<int> KillAsync(List<int> pids, TimeSpan grace, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var targets = pids.Select(pid => GroupOf(pid) == pid ? -pid : pid).Distinct().ToArray();
        var signalled = targets.Count(target => Kill(target, SigTerm) == 0);
        var deadline = timeProvider.GetUtcNow() + grace;
        while (targets.Any(Alive) && timeProvider.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), timeProvider, cancellationToken);
        }

        foreach (var target in targets.Where(Alive))
        {
            Kill(target, SigKill);
        }

        return signalled;
    }

    private static bool Alive(int target) => Kill(target, 0) == 0;

    /// <summary>The local session a server session id belongs to (<c>id</c> or <c>id-eN</c>), when it is one of <paramref name="localIds"/>.</summary>
    internal static string? LocalSessionOf(string? serverSessionId, IReadOnlySet<string> localIds)
    {
        if (serverSessionId is null)
        {
            return null;
        }

        if (localIds.Contains(serverSessionId))
        {
            return serverSessionId;
        }

        var mark = serverSessionId.LastIndexOf("-e", StringComparison.Ordinal);
        if (mark <= 0 || mark + 2 >= serverSessionId.Length || serverSessionId.AsSpan(mark + 2).ContainsAnyExceptInRange('0', '9'))
        {
            return null;
        }

        var local = serverSessionId[..mark];
        return localIds.Contains(local) ? local : null;
    }

    /// <summary>The <c>AK_SESSION_ID</c> in the process's environment, or null (not ours, gone, or not readable).</summary>
    private static string? SessionIdOf(int pid)
    {
        byte[] environ;
        try
        {
            environ = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var prefix = "AK_SESSION_ID="u8;
        var span = environ.AsSpan();
        while (!span.IsEmpty)
        {
            var end = span.IndexOf((byte)0);
            var entry = end < 0 ? span : span[..end];
            if (entry.StartsWith(prefix))
            {
                return Encoding.UTF8.GetString(entry[prefix.Length..]);
            }

            span = end < 0 ? [] : span[(end + 1)..];
        }

        return null;
    }

    /// <summary>The process group id (field 5 of <c>/proc/pid/stat</c>), or 0 when unknown.</summary>
    private static int GroupOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return rest.Length > 2 && int.TryParse(rest[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group) ? group : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
