using System.CommandLine;
using AgentKanban.Cli.Parsing;
using AgentKanban.Cli.Resources;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak get KIND [ID]</c>: one resource (a JSON object with <c>-o json</c>) or a list (a JSON array).</summary>
public static class GetCommands
{
    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var get = new Command("get", "Show one resource by id or name, or list a kind of resource.\n\nExamples:\n  ak get tasks --board web --status todo\n  ak get task 3f9c2a7d1b0e -o json\n  ak get boards -o yaml > boards.yaml");
        var o = parser.Output;

        var board = Kind("board", "Boards", ResourceNames.Board, "Board id or name");
        parser.Bind(board.Command, r => new GetBoards(r.GetValue(board.Id), CommonOptions.Output(r, o)));
        get.Add(board.Command);

        var task = Kind("task", "Tasks (list filters: --board, --status, --label, --assigned-to, --repo)", ResourceNames.Task, "Task id");
        var taskBoard = CommonOptions.Optional("--board", "Only tasks of this board (id or name)", "BOARD");
        var status = CommonOptions.Optional("--status", "Only tasks in this status", "STATUS");
        status.AcceptOnlyFromAmong([.. TaskStatusNames.All.Select(s => s.ToName())]);
        var label = CommonOptions.Optional("--label", "Only tasks with this label", "LABEL");
        var assignee = CommonOptions.Optional("--assigned-to", "Only tasks assigned to this agent (id or username)", "AGENT", "--assignee");
        var repo = CommonOptions.Optional("--repo", "Only tasks of this repository (id, name or URL)", "REPO");
        task.Command.Add(taskBoard);
        task.Command.Add(status);
        task.Command.Add(label);
        task.Command.Add(assignee);
        task.Command.Add(repo);
        parser.Bind(task.Command, r => new GetTasks(
            r.GetValue(task.Id),
            new TaskQuery(r.GetValue(taskBoard), r.GetValue(status), r.GetValue(label), r.GetValue(assignee), r.GetValue(repo)),
            CommonOptions.Output(r, o)));
        get.Add(task.Command);

        var agent = Kind("agent", "Agents", ResourceNames.Agent, "Agent id or username");
        var runtime = CommonOptions.Optional("--runtime", "Only agents of this runtime", "RUNTIME");
        var kind = CommonOptions.Optional("--kind", "Only workers or only leaders", "worker|leader");
        kind.AcceptOnlyFromAmong("worker", "leader");
        agent.Command.Add(runtime);
        agent.Command.Add(kind);
        parser.Bind(agent.Command, r => new GetAgents(r.GetValue(agent.Id), r.GetValue(runtime), r.GetValue(kind), CommonOptions.Output(r, o)));
        get.Add(agent.Command);

        var repoKind = Kind("repo", "Repositories", ResourceNames.Repo, "Repository id, name or URL");
        parser.Bind(repoKind.Command, r => new GetRepos(r.GetValue(repoKind.Id), CommonOptions.Output(r, o)));
        get.Add(repoKind.Command);

        var labelKind = Kind("label", "Labels of a board", ResourceNames.Label, "Label name");
        var labelBoard = CommonOptions.Required("--board", "The board (id or name)", "BOARD");
        labelKind.Command.Add(labelBoard);
        parser.Bind(labelKind.Command, r => new GetLabels(r.GetValue(labelBoard)!, r.GetValue(labelKind.Id), CommonOptions.Output(r, o)));
        get.Add(labelKind.Command);

        var machine = Kind("machine", "Machines (daemons) and their runtimes", ResourceNames.Machine, "Machine id");
        parser.Bind(machine.Command, r => new GetMachines(r.GetValue(machine.Id), CommonOptions.Output(r, o)));
        get.Add(machine.Command);

        var session = Kind("session", "Agent sessions with their token counts and cost", ResourceNames.Session, "Session id");
        var sessionTask = CommonOptions.Optional("--task", "Only sessions of this task", "TASK");
        var sessionAgent = CommonOptions.Optional("--agent", "Only sessions of this agent (id or username)", "AGENT");
        var sessionMachine = CommonOptions.Optional("--machine", "Only sessions on this machine", "MACHINE");
        var sessionStatus = CommonOptions.Optional("--status", "active or closed", "active|closed");
        sessionStatus.AcceptOnlyFromAmong("active", "closed");
        session.Command.Add(sessionTask);
        session.Command.Add(sessionAgent);
        session.Command.Add(sessionMachine);
        session.Command.Add(sessionStatus);
        parser.Bind(session.Command, r => new GetSessions(
            r.GetValue(session.Id),
            new SessionQuery(r.GetValue(sessionTask), r.GetValue(sessionAgent), r.GetValue(sessionMachine), r.GetValue(sessionStatus)),
            CommonOptions.Output(r, o)));
        get.Add(session.Command);

        var models = new Command("models", "The models a runtime CLI on this machine offers (asks the CLI itself; not every CLI can list them)");
        var modelRuntime = CommonOptions.Required("--runtime", "The runtime whose CLI to ask", "RUNTIME");
        modelRuntime.AcceptOnlyFromAmong([.. Contracts.RuntimeNames.All]);
        models.Add(modelRuntime);
        parser.Bind(models, r => new GetModels(r.GetValue(modelRuntime)!, CommonOptions.Output(r, o)));
        get.Add(models);

        var user = Kind("user", "Users (admin only)", ResourceNames.User, "User id");
        parser.Bind(user.Command, r => new GetUsers(r.GetValue(user.Id), CommonOptions.Output(r, o)));
        get.Add(user.Command);

        return get;
    }

    private static (Command Command, Argument<string?> Id) Kind(string name, string description, IReadOnlyList<string> aliases, string idDescription)
    {
        var command = new Command(name, description);
        foreach (var alias in aliases)
        {
            command.Aliases.Add(alias);
        }

        var id = CommonOptions.OptionalId("ID", idDescription + " (omit to list)");
        command.Add(id);
        return (command, id);
    }
}
