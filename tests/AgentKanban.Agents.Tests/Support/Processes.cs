using System.Text;
using AgentKanban.Agents.Process;

namespace AgentKanban.Agents.Tests.Support;

internal static class Processes
{
    /// <summary>Generous upper bound for anything a test waits on, so a broken runner fails instead of hanging.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Alive = has a /proc entry and is not a zombie (orphans may wait to be reaped by PID 1).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static async Task<int> ReadPidFileAsync(string path)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            if (File.Exists(path) && int.TryParse(await File.ReadAllTextAsync(path, timeout.Token), out var pid))
            {
                return pid;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Gave up waiting: {what}");
            }
        }
    }

    /// <summary>Everything the process printed, to the end of its output.</summary>
    public static async Task<List<OutputLine>> ReadAllAsync(AgentProcess process)
    {
        var lines = new List<OutputLine>();
        using var timeout = new CancellationTokenSource(Patience);
        await foreach (var line in process.Output.ReadAllAsync(timeout.Token))
        {
            lines.Add(line);
        }

        return lines;
    }

    public static string Text(OutputLine line) => Encoding.UTF8.GetString(line.Bytes.Span);

    public static void KillQuietly(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }
}
