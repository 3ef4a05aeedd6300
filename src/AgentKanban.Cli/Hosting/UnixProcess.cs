using System.Globalization;
using System.Runtime.InteropServices;

namespace AgentKanban.Cli.Hosting;

/// <summary>The few facts about another process that daemon control needs: signals, and <c>/proc</c> lookups.</summary>
internal static partial class UnixProcess
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    private const int EPERM = 1;

    /// <summary>Sends <paramref name="signal"/>; false when the process is gone.</summary>
    public static bool Signal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>Whether a process with this pid exists (possibly a zombie, possibly someone else's).</summary>
    public static bool Exists(int pid) => Kill(pid, 0) == 0 || Marshal.GetLastPInvokeError() == EPERM;

    /// <summary>
    /// The process's start time (clock ticks after boot, field 22 of <c>/proc/PID/stat</c>), or null when it is gone.
    /// Together with the pid this names one process for good: a recycled pid has another start time.
    /// </summary>
    public static long? StartTicks(int pid) =>
        StatField(pid, 22) is { } value && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;

    /// <summary>The process group (field 5 of <c>/proc/PID/stat</c>), or null when unknown.</summary>
    public static int? GroupOf(int pid) =>
        StatField(pid, 5) is { } value && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var group) ? group : null;

    /// <summary>Whether the process is gone, or no longer the one that had <paramref name="startTicks"/>.</summary>
    public static bool Gone(int pid, long? startTicks)
    {
        if (!Exists(pid))
        {
            return true;
        }

        var now = StartTicks(pid);
        // A zombie (exited, not yet reaped by its parent) has finished for our purposes.
        return (startTicks is not null && now is not null && now != startTicks) || StatField(pid, 3) is "Z" or "X";
    }

    private static string? StatField(int pid, int field)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // Field 2 (the command name) is in parentheses and may hold spaces: count from after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0 || close + 2 > stat.Length)
        {
            return null;
        }

        var rest = stat[(close + 2)..].Split(' ');
        var index = field - 3;
        return index >= 0 && index < rest.Length ? rest[index] : null;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
