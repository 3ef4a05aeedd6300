using AgentKanban.Cli;

// Fast path: agents call `ak` constantly, and --version must not pay for the command tree, the signal
// handlers or the environment copy (this method is kept tiny so the JIT has little to compile).
if (args is ["--version"])
{
    Console.Out.WriteLine(CliVersion.Full);
    return 0;
}

return await ProcessEntry.RunAsync(args);
