using System.Collections;
using System.Runtime.InteropServices;

namespace AgentKanban.Cli;

/// <summary>The real process around <see cref="CliApp"/>: console streams, the environment, and Ctrl+C/SIGTERM.</summary>
internal static class ProcessEntry
{
    public static async Task<int> RunAsync(string[] args)
    {
        using var stop = new CancellationTokenSource();
        // First Ctrl+C or SIGTERM asks the command to stop cleanly (a server shuts down, a wait ends);
        // a second one is left to the default handler and ends the process at once.
        void RequestStop(PosixSignalContext signal)
        {
            if (!stop.IsCancellationRequested)
            {
                signal.Cancel = true;
                stop.Cancel();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);

        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = entry.Value as string;
        }

        using var context = new CliContext(Console.Out, Console.Error, env, Console.In);
        return await CliApp.RunAsync(args, context, stop.Token);
    }
}
