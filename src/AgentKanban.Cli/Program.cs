using AgentKanban.Cli;

return await ProcessEntry.RunAsync(args);
