using BenchmarkDotNet.Running;

// Micro-benchmarks: dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --filter '*'
// End-to-end harnesses live beside them and are selected the same way (see bench/README.md).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
