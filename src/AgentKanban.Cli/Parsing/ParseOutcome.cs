using System.CommandLine;
using AgentKanban.Cli.Commands;

namespace AgentKanban.Cli.Parsing;

/// <summary>What parsing a command line produced: a runnable command, a usage error, or a built-in (help, version).</summary>
public abstract record ParseOutcome
{
    private ParseOutcome()
    {
    }

    /// <summary>A command to run; <paramref name="CommandPath"/> (<c>ak get task</c>) is for usage hints.</summary>
    public sealed record Run(ICliRun Command, string CommandPath = "ak") : ParseOutcome;

    /// <summary>The command line is wrong: exit 2 with these messages and a pointer to <c>--help</c>.</summary>
    public sealed record Usage(IReadOnlyList<string> Errors, string CommandPath) : ParseOutcome;

    /// <summary>Help or version: System.CommandLine's own action prints it.</summary>
    public sealed record BuiltIn(ParseResult Result) : ParseOutcome;
}
