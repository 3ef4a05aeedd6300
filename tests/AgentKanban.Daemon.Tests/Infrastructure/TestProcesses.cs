using System.Globalization;
using System.Runtime.InteropServices;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>Finds the processes a test started (by the marker in their environment) so none outlives the test.</summary>
internal static partial class TestProcesses
{
    public static void KillMarked(string marker)
    {
        foreach (var pid in Marked(marker))
        {
            Signal(pid, 9);
        }
    }

    /// <summary>Processes other than this one with the test's marker in their environment.</summary>
    public static List<int> Marked(string marker)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes("AK_TEST_MARKER=" + marker);
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllBytes(Path.Combine(directory, "environ")).AsSpan().IndexOf(needle) >= 0)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone already.
            }
        }

        return found;
    }

    /// <summary>True when a process with this id exists and runs (not a zombie).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static int Signal(int pid, int signal) => Kill(pid, signal);

    /// <summary>
    /// The pid on this machine of the process that is <paramref name="namespacePid"/> in PID namespace
    /// <paramref name="pidNamespace"/> (<c>pid:[inode]</c>, as <c>/proc/PID/ns/pid</c> names it): the same number when that
    /// is this test's own namespace, else found through the <c>NSpid</c> line of each process's status; with
    /// <paramref name="startTicks"/>, only a process that started then. 0 when none.
    /// </summary>
    public static int HostPid(string? pidNamespace, int namespacePid, long? startTicks = null)
    {
        if (pidNamespace is null || pidNamespace == new FileInfo("/proc/self/ns/pid").LinkTarget)
        {
            try
            {
                return startTicks is null || StartTicks($"/proc/{namespacePid}") == startTicks ? namespacePid : 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return 0;
            }
        }

        var inner = namespacePid.ToString(CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (new FileInfo(Path.Combine(directory, "ns", "pid")).LinkTarget != pidNamespace)
                {
                    continue;
                }

                var line = File.ReadLines(Path.Combine(directory, "status")).FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
                if (line?.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries)[^1] == inner && (startTicks is null || StartTicks(directory) == startTicks))
                {
                    return pid;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone already.
            }
        }

        return 0;
    }

    /// <summary>
    /// When the process started (field 22 of its <c>stat</c>, ticks since boot). A PID namespace's inode number is reused
    /// once the namespace is gone, and every sandboxed fake agent has the same pid inside its own: the start time tells a
    /// later agent (of this test or another) in a namespace with a reused number from the one that was asked about.
    /// </summary>
    private static long? StartTicks(string procDirectory)
    {
        var stat = File.ReadAllText(Path.Combine(procDirectory, "stat"));
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
