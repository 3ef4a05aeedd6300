using System.Collections;
using System.Runtime.InteropServices;
using AgentKanban.Cli;

// Fast path: agents call `ak` constantly, and --version must not pay for the command tree.
if (args is ["--version"])
{
    Console.Out.WriteLine(CliVersion.Full);
    return 0;
}

using var stop = new CancellationTokenSource();
// First Ctrl+C or SIGTERM asks the command to stop cleanly; a second one ends the process at once.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop);

var env = new Dictionary<string, string?>(StringComparer.Ordinal);
foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
{
    env[(string)entry.Key] = entry.Value as string;
}

using var context = new CliContext(Console.Out, Console.Error, env, Console.In);
return await CliApp.RunAsync(args, context, stop.Token);

void RequestStop(PosixSignalContext signal)
{
    if (!stop.IsCancellationRequested)
    {
        signal.Cancel = true;
        stop.Cancel();
    }
}
