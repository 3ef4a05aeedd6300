using System.CommandLine;
using System.Text.RegularExpressions;
using AgentKanban.Cli.Parsing;
using AgentKanban.Cli.Resources;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak create KIND --flags</c>: creates one resource and prints it.</summary>
public static partial class CreateCommands
{
    public static readonly string[] BoardTypes = ["dev", "ops"];
    public static readonly string[] AgentKinds = ["worker", "leader"];

    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var create = new Command("create", "Create a board, repository, agent, task, label or user, and print it.");
        create.Add(Board(parser));
        create.Add(Repo(parser));
        create.Add(Agent(parser));
        create.Add(Task(parser));
        create.Add(Label(parser));
        create.Add(User(parser));
        return create;
    }

    private static Command Board(CliParser parser)
    {
        var command = new Command("board", "Create a board. dev boards hold code tasks (each needs a repository); ops boards hold tasks without one.\n\nExample:\n  ak create board --name web --type dev --description \"Website work\"");
        Aliases(command, ResourceNames.Board);
        var name = CommonOptions.Required("--name", "Board name (unique)", "NAME");
        var type = CommonOptions.Required("--type", "dev or ops", "dev|ops");
        type.AcceptOnlyFromAmong(BoardTypes);
        var description = CommonOptions.Optional("--description", "What the board is for", "TEXT");
        command.Add(name);
        command.Add(type);
        command.Add(description);
        parser.Bind(command, r => new CreateBoard(
            new CreateBoardRequest(r.GetValue(name), r.GetValue(type), r.GetValue(description)),
            CommonOptions.Output(r, parser.Output)));
        return command;
    }

    private static Command Repo(CliParser parser)
    {
        var command = new Command("repo", "Register a git repository (any git URL, file:// URL or local path).\n\nExamples:\n  ak create repo --name web --url https://github.com/acme/web\n  ak create repo --name tools --url ./tools");
        Aliases(command, ResourceNames.Repo);
        var name = CommonOptions.Required("--name", "Repository name", "NAME");
        var url = CommonOptions.Required("--url", "Git URL or local path", "URL_OR_PATH");
        command.Add(name);
        command.Add(url);
        parser.Bind(command, r => new CreateRepo(new CreateRepositoryRequest(r.GetValue(name), r.GetValue(url)), CommonOptions.Output(r, parser.Output)));
        return command;
    }

    private static Command Agent(CliParser parser)
    {
        var command = new Command("agent", "Create an agent: a worker runs tasks assigned to it; a leader supervises.\n\nExample:\n  ak create agent --username claude-1 --runtime claude --model sonnet --role backend");
        Aliases(command, ResourceNames.Agent);
        var username = CommonOptions.Required("--username", "Unique username (lower-case letters, digits, dashes)", "USERNAME");
        var runtime = CommonOptions.Required("--runtime", "Agent CLI that runs it", "claude|codex|gemini|copilot|acp");
        runtime.AcceptOnlyFromAmong([.. RuntimeNames.All]);
        var kind = CommonOptions.Optional("--kind", "worker (default) or leader", "worker|leader");
        kind.AcceptOnlyFromAmong(AgentKinds);
        var model = CommonOptions.Optional("--model", "Model name passed to the runtime", "MODEL");
        var role = CommonOptions.Optional("--role", "Role, e.g. backend or reviewer", "ROLE");
        var instructions = CommonOptions.Optional("--instructions", "Standing instructions added to every task prompt", "TEXT");
        var displayName = CommonOptions.Optional("--name", "Display name", "NAME");
        var permissionMode = CommonOptions.Optional("--permission-mode", "Runtime permission mode (default: the daemon's)", "MODE");
        var agentCommand = CommonOptions.Optional("--command", "For runtime acp: the ACP agent's command line, e.g. \"copilot --acp\" (default: the daemon's AK_ACP_COMMAND, else claude-agent-acp)", "COMMAND");
        command.Add(username);
        command.Add(runtime);
        command.Add(kind);
        command.Add(model);
        command.Add(role);
        command.Add(instructions);
        command.Add(displayName);
        command.Add(permissionMode);
        command.Add(agentCommand);
        parser.Bind(command, r => new CreateAgent(
            new CreateAgentRequest
            {
                Username = r.GetValue(username),
                Runtime = r.GetValue(runtime),
                Kind = r.GetValue(kind) ?? "worker",
                Model = r.GetValue(model),
                Role = r.GetValue(role),
                Instructions = r.GetValue(instructions),
                Name = r.GetValue(displayName),
                PermissionMode = r.GetValue(permissionMode),
                Command = r.GetValue(agentCommand),
            },
            CommonOptions.Output(r, parser.Output)));
        return command;
    }

    private static Command Task(CliParser parser)
    {
        var command = new Command("task", """
            Create a task on a board. It waits in todo until a machine runs it for its assignee.

            Examples:
              ak create task --board web --title "Fix login redirect" --repo web --assign-to claude-1
              ak create task --board ops --title "Rotate keys" --labels security,urgent --scheduled-at 2025-06-01T09:00:00Z
              ak create task --board web --title "Deploy" --depends-on 3f9c2a7d1b0e,8d1e4b2c9a77 -o json
            """);
        Aliases(command, ResourceNames.Task);
        var board = CommonOptions.Required("--board", "Board id or name", "BOARD");
        var title = CommonOptions.Required("--title", "Short title", "TITLE");
        var description = CommonOptions.Optional("--description", "What to do, in detail (the agent's prompt)", "TEXT");
        var repo = CommonOptions.Optional("--repo", "Repository id, name, URL or path (dev boards need one)", "REPO");
        var assignTo = CommonOptions.Optional("--assign-to", "Agent id or username that should do it", "AGENT");
        var labels = CommonOptions.List("--labels", "Comma-separated labels (must exist on the board)", "a,b");
        var dependsOn = CommonOptions.List("--depends-on", "Comma-separated ids of tasks that must be done first", "ID,ID");
        var scheduledAt = CommonOptions.Optional("--scheduled-at", "Do not start before this ISO-8601 time (with zone)", "ISO8601");
        var parent = CommonOptions.Optional("--parent", "Parent task id", "ID");
        foreach (var option in new Option[] { board, title, description, repo, assignTo, labels, dependsOn, scheduledAt, parent })
        {
            command.Add(option);
        }

        parser.Bind(command, r =>
        {
            var scheduled = r.GetValue(scheduledAt);
            return new CreateTask(
                new CreateTaskRequest
                {
                    BoardId = r.GetValue(board),
                    Title = r.GetValue(title),
                    Description = r.GetValue(description),
                    RepositoryId = r.GetValue(repo),
                    AssignedTo = r.GetValue(assignTo),
                    Labels = CommonOptions.ListValue(r, labels),
                    DependsOn = CommonOptions.ListValue(r, dependsOn),
                    ScheduledAt = scheduled is null ? null : Timestamps.ParseOrUsage(scheduled, "--scheduled-at"),
                    ParentId = r.GetValue(parent),
                },
                CommonOptions.Output(r, parser.Output));
        });
        return command;
    }

    private static Command Label(CliParser parser)
    {
        var command = new Command("label", "Add a label to a board.\n\nExample:\n  ak create label --board web --name bug --color '#d73a4a'");
        Aliases(command, ResourceNames.Label);
        var board = CommonOptions.Required("--board", "Board id or name", "BOARD");
        var name = CommonOptions.Required("--name", "Label name", "NAME");
        var color = CommonOptions.Required("--color", "Colour as #RRGGBB", "#RRGGBB");
        color.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is not null && !ColorPattern().IsMatch(value))
            {
                result.AddError($"--color: '{value}' is not a #RRGGBB colour.");
            }
        });
        var description = CommonOptions.Optional("--description", "What the label means", "TEXT");
        command.Add(board);
        command.Add(name);
        command.Add(color);
        command.Add(description);
        parser.Bind(command, r => new CreateLabel(
            r.GetValue(board)!,
            new CreateLabelRequest(r.GetValue(name), r.GetValue(color), r.GetValue(description)),
            CommonOptions.Output(r, parser.Output)));
        return command;
    }

    private static Command User(CliParser parser)
    {
        var command = new Command("user", "Create a user (admin only) and print their personal token once.");
        Aliases(command, ResourceNames.User);
        var name = CommonOptions.Required("--name", "User name", "NAME");
        var admin = new Option<bool>("--admin") { Description = "Make the user an administrator" };
        command.Add(name);
        command.Add(admin);
        parser.Bind(command, r => new CreateUser(new CreateUserRequest(r.GetValue(name), r.GetValue(admin)), CommonOptions.Output(r, parser.Output)));
        return command;
    }

    internal static void Aliases(Command command, IReadOnlyList<string> aliases)
    {
        foreach (var alias in aliases)
        {
            command.Aliases.Add(alias);
        }
    }

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorPattern();
}
