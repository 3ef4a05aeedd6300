using AgentKanban.Daemon.TestHost;

// Modes:
//   daemon [--state DIR]       run the machine daemon in the foreground (options from AK_TEST_* variables)
//   fake-claude ARGS...        behave like `claude -p --output-format stream-json` (see FakeClaude)
return args.Length > 0 && args[0] == "fake-claude"
    ? await FakeClaude.RunAsync(args[1..])
    : await DaemonMode.RunAsync(args.Length > 0 && args[0] == "daemon" ? args[1..] : args);
