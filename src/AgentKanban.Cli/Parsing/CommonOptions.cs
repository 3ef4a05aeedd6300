using System.CommandLine;
using System.CommandLine.Parsing;
using AgentKanban.Cli.Output;

namespace AgentKanban.Cli.Parsing;

/// <summary>Options and arguments shared by many commands, with their validation.</summary>
public static class CommonOptions
{
    /// <summary><c>-o json|yaml|wide|name</c>, accepted by every command.</summary>
    public static Option<string> CreateOutput()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format: json, yaml, wide or name (default: a readable table)",
            Recursive = true,
            HelpName = "json|yaml|wide|name",
        };
        option.AcceptOnlyFromAmong(OutputFormats.Names);
        return option;
    }

    public static OutputFormat Output(ParseResult result, Option<string> output) => OutputFormats.Parse(result.GetValue(output));

    /// <summary>An id/name argument. Values that look like flags are refused, so a mistyped option is a usage error.</summary>
    public static Argument<string> Id(string name, string description)
    {
        var argument = new Argument<string>(name) { Description = description };
        argument.Validators.Add(RejectFlags);
        return argument;
    }

    public static Argument<string?> OptionalId(string name, string description)
    {
        var argument = new Argument<string?>(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };
        argument.Validators.Add(RejectFlags);
        return argument;
    }

    public static Argument<string[]> Ids(string name, string description)
    {
        var argument = new Argument<string[]>(name) { Description = description, Arity = ArgumentArity.OneOrMore };
        argument.Validators.Add(RejectFlags);
        return argument;
    }

    /// <summary>Any number of ids (none: the command picks a default).</summary>
    public static Argument<string[]> OptionalIds(string name, string description)
    {
        var argument = new Argument<string[]>(name) { Description = description, Arity = ArgumentArity.ZeroOrMore };
        argument.Validators.Add(RejectFlags);
        return argument;
    }

    public static Option<string> Required(string name, string description, string? helpName = null, params string[] aliases) =>
        new(name, aliases) { Description = description, Required = true, HelpName = helpName };

    public static Option<string?> Optional(string name, string description, string? helpName = null, params string[] aliases) =>
        new(name, aliases) { Description = description, HelpName = helpName };

    /// <summary>Splits <c>a,b , c</c> into trimmed, non-empty items (the option may also be repeated).</summary>
    public static Option<string[]?> List(string name, string description, string helpName) =>
        new(name)
        {
            Description = description,
            HelpName = helpName,
            AllowMultipleArgumentsPerToken = false,
            CustomParser = r => [.. r.Tokens.SelectMany(t => SplitList(t.Value))],
        };

    /// <summary>The list when the option was given (possibly empty, to clear), null when it was not.</summary>
    public static IReadOnlyList<string>? ListValue(ParseResult result, Option<string[]?> option)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.GetResult(option) is null ? null : result.GetValue(option) ?? [];
    }

    public static IReadOnlyList<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static void RejectFlags(ArgumentResult result)
    {
        foreach (var token in result.Tokens)
        {
            if (token.Value.Length > 1 && token.Value[0] == '-')
            {
                result.AddError($"Unrecognized option '{token.Value}'.");
            }
        }
    }
}
