using System.Globalization;
using System.Runtime.InteropServices;

namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>Finds the processes a test started (by the marker in their environment) so none outlives the test.</summary>
internal static partial class TestProcesses
{
    public static void KillMarked(string marker)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes("AK_TEST_MARKER=" + marker);
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
                    Signal(pid, 9);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone already.
            }
        }
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

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
