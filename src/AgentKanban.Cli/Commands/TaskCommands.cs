using System.CommandLine;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Commands;

/// <summary>
/// <c>ak task VERB [ID]</c>: the task lifecycle, and notes and messages. ID defaults to <c>AK_TASK_ID</c>,
/// so an agent can simply run <c>ak task claim</c>.
/// </summary>
public static class TaskCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var task = new Command("task", "Move a task through its lifecycle, add notes and messages. ID defaults to $AK_TASK_ID.");

        Transition(parser, task, TaskAction.Claim, "Start working on a todo task (agent workers, on their own task)");
        var review = Transition(parser, task, TaskAction.Review, "Ask for review of an in-progress task (optionally with the PR)");
        Transition(parser, task, TaskAction.Complete, "Accept a task in review: it is done");
        var reject = Transition(parser, task, TaskAction.Reject, "Send a task in review back to work (optionally saying why)");
        Transition(parser, task, TaskAction.Cancel, "Cancel a task that is not finished");
        Transition(parser, task, TaskAction.Release, "Give an in-progress task back to todo");

        var prUrl = CommonOptions.Optional("--pr-url", "URL of the pull request to review", "URL");
        review.Command.Add(prUrl);
        parser.Bind(review.Command, r => new TransitionTask(r.GetValue(review.Id), TaskAction.Review, new TransitionRequest(PrUrl: r.GetValue(prUrl)), CommonOptions.Output(r, parser.Output)));
        var reason = CommonOptions.Optional("--reason", "What must change", "TEXT");
        reject.Command.Add(reason);
        parser.Bind(reject.Command, r => new TransitionTask(r.GetValue(reject.Id), TaskAction.Reject, new TransitionRequest(Reason: r.GetValue(reason)), CommonOptions.Output(r, parser.Output)));

        task.Add(TextCommand(parser, "note", "Add a note to a task's activity log.\n\nExamples:\n  ak task note \"tests pass, opening a PR\"        (task from $AK_TASK_ID)\n  ak task note 3f9c2a7d1b0e \"blocked on review\"",
            (id, text, o) => new AddNote(id, text, o)));
        task.Add(TextCommand(parser, "message", "Send a chat message on a task.\n\nExample:\n  ak task message 3f9c2a7d1b0e \"please also update the docs\"",
            (id, text, o) => new SendMessage(id, text, o)));
        return task;
    }

    private static (Command Command, Argument<string?> Id) Transition(CliParser parser, Command task, TaskAction action, string description)
    {
        var command = new Command(action.ToVerb(), description);
        var id = CommonOptions.OptionalId("ID", "Task id (default: $AK_TASK_ID)");
        command.Add(id);
        parser.Bind(command, r => new TransitionTask(r.GetValue(id), action, new TransitionRequest(), CommonOptions.Output(r, parser.Output)));
        task.Add(command);
        return (command, id);
    }

    private static Command TextCommand(CliParser parser, string name, string description, Func<string?, string, OutputFormat, ICliRun> bind)
    {
        var command = new Command(name, description);
        var words = new Argument<string[]>("[ID] MESSAGE")
        {
            Description = "Optional task id (default: $AK_TASK_ID), then the text (quote it)",
            Arity = new ArgumentArity(1, 2),
        };
        command.Add(words);
        parser.Bind(command, r =>
        {
            var values = r.GetValue(words) ?? [];
            var (id, text) = values.Length == 2 ? (values[0], values[1]) : ((string?)null, values[0]);
            if (id is not null && id.StartsWith('-'))
            {
                throw new UsageException($"Unrecognized option '{id}'.");
            }

            return string.IsNullOrWhiteSpace(text) ? throw new UsageException("the message is empty") : bind(id, text, CommonOptions.Output(r, parser.Output));
        });
        return command;
    }
}

public sealed record TransitionTask(string? Id, TaskAction Action, TransitionRequest Body, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.TaskIdOrDefault(Id);
        var task = await context.Client.TransitionTaskAsync(id, Action.ToVerb(), Body, cancellationToken);
        if (Output is OutputFormat.Table or OutputFormat.Wide)
        {
            context.Out.WriteLine($"task/{task.Id} {Action.ToActivity().Replace('_', ' ')}: now {task.Status}");
        }
        else
        {
            ResourcePrinter.WriteOne(context.Out, new Resources.Views(context.Time.GetUtcNow()).Task, task, Output);
        }

        return 0;
    }
}

public sealed record AddNote(string? Id, string Text, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.TaskIdOrDefault(Id);
        var note = await context.Client.AddNoteAsync(id, Text, cancellationToken);
        WriteResult(context, Output, $"note added to task/{id}", note, ContractsJsonContext.Default.ActivityDto);
        return 0;
    }

    internal static void WriteResult<T>(CliContext context, OutputFormat output, string line, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        switch (output)
        {
            case OutputFormat.Json:
                JsonOutput.WriteOne(context.Out, value, typeInfo);
                break;
            case OutputFormat.Yaml:
                YamlJson.WriteDocuments(context.Out, [System.Text.Json.JsonSerializer.SerializeToNode(value, typeInfo)]);
                break;
            default:
                context.Out.WriteLine(line);
                break;
        }
    }
}

public sealed record SendMessage(string? Id, string Text, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.TaskIdOrDefault(Id);
        var message = await context.Client.AddMessageAsync(id, Text, cancellationToken);
        AddNote.WriteResult(context, Output, $"message sent to task/{id}", message, ContractsJsonContext.Default.MessageDto);
        return 0;
    }
}
