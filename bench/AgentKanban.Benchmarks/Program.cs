using AgentKanban.Benchmarks.Daemon;
using AgentKanban.Benchmarks.Parsing;
using AgentKanban.Benchmarks.Sandbox;
using AgentKanban.Benchmarks.Server;
using AgentKanban.Benchmarks.Sse;
using AgentKanban.Benchmarks.Web;
using BenchmarkDotNet.Running;

// End-to-end harnesses (real servers on 127.0.0.1, measured from the outside) are picked by their first flag;
// everything else goes to BenchmarkDotNet: dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --filter '*'
// See bench/README.md for every command.
if (TransitionsHarness.Handles(args))
{
    return await TransitionsHarness.RunAsync(args);
}

if (RuntimeParseHarness.Handles(args))
{
    return await RuntimeParseHarness.RunAsync(args);
}

if (ParsePipeHarness.Handles(args))
{
    return await ParsePipeHarness.RunAsync(args);
}

if (DaemonIdleHarness.Handles(args))
{
    return await DaemonIdleHarness.RunAsync(args);
}

if (DaemonRestartHarness.Handles(args))
{
    return await DaemonRestartHarness.RunAsync(args);
}

if (DaemonHarness.Handles(args))
{
    return await DaemonHarness.RunAsync(args);
}

if (SseHarness.Handles(args))
{
    return await SseHarness.RunAsync(args);
}

if (SandboxLaunchHarness.Handles(args))
{
    return await SandboxLaunchHarness.RunAsync(args);
}

if (FirstRenderHarness.Handles(args))
{
    return await FirstRenderHarness.RunAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(DaemonHarness).Assembly).Run(args);
return 0;
