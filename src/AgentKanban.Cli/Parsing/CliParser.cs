using System.CommandLine;
using System.CommandLine.Help;
using AgentKanban.Cli.Commands;

namespace AgentKanban.Cli.Parsing;

/// <summary>
/// The whole <c>ak</c> command tree. Parsing is pure: it turns arguments into an <see cref="ICliRun"/> record
/// (or a usage error) without touching the network or the disk.
/// </summary>
public sealed class CliParser
{
    private readonly Dictionary<Command, Func<ParseResult, ICliRun>> _binders = [];

    public CliParser()
    {
        Output = CommonOptions.CreateOutput();
        Version = new Option<bool>("--version") { Description = "Show version information" };
        Root = new RootCommand("ak — Agent Kanban: a board for AI coding agents, and the CLI that drives it.");
        // Our own --version: the built-in one reports the entry assembly, which is the test host under tests.
        foreach (var builtIn in Root.Options.OfType<VersionOption>().ToList())
        {
            Root.Options.Remove(builtIn);
        }

        Root.Add(Output);
        Root.Add(Version);
        Root.SetAction(_ => 0);
        Bind(Root, r => r.GetValue(Version) ? new VersionRun() : throw new UsageException("a command is required."));
        Root.Add(GetCommands.Build(this));
        Root.Add(DescribeCommands.Build(this));
        Root.Add(CreateCommands.Build(this));
        Root.Add(UpdateCommands.Build(this));
        Root.Add(DeleteCommands.Build(this));
        Root.Add(ApplyCommand.Build(this));
        Root.Add(TaskCommands.Build(this));
        Root.Add(WaitCommand.Build(this));
        Root.Add(WhyCommand.Build(this));
        Root.Add(ConfigCommands.Build(this));
        Root.Add(WhoAmICommand.Build(this));
        Root.Add(ServerCommands.BuildServer(this));
        Root.Add(ServerCommands.BuildUp(this));
        Root.Add(DaemonCommands.Build(this));
    }

    public RootCommand Root { get; }

    public Option<bool> Version { get; }

    /// <summary>The global <c>-o</c> option.</summary>
    public Option<string> Output { get; }

    /// <summary>Registers how a leaf command's parse result becomes a runnable record.</summary>
    public void Bind(Command command, Func<ParseResult, ICliRun> binder) => _binders[command] = binder;

    public ParseOutcome Parse(IReadOnlyList<string> args)
    {
        var result = Root.Parse(args);
        var path = CommandPath(result.CommandResult.Command);
        if (result.Action is HelpAction)
        {
            return new ParseOutcome.BuiltIn(result);
        }

        if (result.Errors.Count > 0)
        {
            return new ParseOutcome.Usage([.. result.Errors.Select(e => e.Message).Distinct()], path);
        }

        if (!_binders.TryGetValue(result.CommandResult.Command, out var binder))
        {
            // A group such as `ak get` without its subcommand.
            return new ParseOutcome.Usage(["a subcommand is required."], path);
        }

        try
        {
            return new ParseOutcome.Run(binder(result), path);
        }
        catch (UsageException e)
        {
            return new ParseOutcome.Usage([e.Message], path);
        }
    }

    /// <summary><c>ak get task</c> for the <c>task</c> command under <c>get</c>.</summary>
    public static string CommandPath(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var names = new List<string>();
        for (Symbol? symbol = command; symbol is Command c; symbol = symbol.Parents.FirstOrDefault())
        {
            names.Add(c is RootCommand ? "ak" : c.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
