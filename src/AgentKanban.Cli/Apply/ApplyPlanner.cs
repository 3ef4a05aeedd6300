using System.Text.Json.Nodes;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Apply;

/// <summary>
/// Turns apply documents (<c>{kind, spec}</c>) into <see cref="ApplyStep"/>s. Pure, and run over the whole
/// file before anything is sent, so a bad document anywhere changes nothing.
/// </summary>
public static class ApplyPlanner
{
    private static readonly string[] TaskFields =
        ["id", "board_id", "board", "title", "description", "repository_id", "repository", "repo", "assigned_to", "assign_to", "assignee",
         "labels", "depends_on", "scheduled_at", "parent_id", "parent", "pr_url", "position"];

    private static readonly string[] TaskOutputOnly =
        ["seq", "status", "blocked", "created_by", "epoch", "lease", "why", "why_at", "active_session_id", "created_at", "updated_at",
         "activity", "messages"];

    private static readonly string[] BoardFields = ["id", "name", "type", "description", "labels"];
    private static readonly string[] AgentFields = ["id", "username", "name", "kind", "runtime", "model", "role", "instructions", "permission_mode"];
    private static readonly string[] RepoFields = ["id", "name", "url"];
    private static readonly string[] LabelFields = ["board_id", "board", "name", "color", "description"];
    private static readonly string[] Timestamps = ["created_at", "updated_at"];

    public static List<ApplyStep> Plan(IReadOnlyList<JsonObject> documents, string source)
    {
        ArgumentNullException.ThrowIfNull(documents);
        return [.. documents.Select((d, i) => PlanOne(d, documents.Count == 1 ? source : $"{source}, document {i + 1}"))];
    }

    public static ApplyStep PlanOne(JsonObject document, string where)
    {
        ArgumentNullException.ThrowIfNull(document);
        var kind = document["kind"] is JsonValue k && k.TryGetValue<string>(out var text) ? text : null;
        if (string.IsNullOrWhiteSpace(kind))
        {
            throw new CliFailureException($"{where}: 'kind' is required (Board, Task, Agent, Repo or Label)");
        }

        if (document["spec"] is not JsonObject specNode)
        {
            throw new CliFailureException($"{where}: 'spec' must be an object");
        }

        var extra = document.Select(p => p.Key).Where(key => key is not ("kind" or "spec" or "apiVersion" or "api_version" or "metadata")).ToList();
        if (extra.Count > 0)
        {
            throw new CliFailureException($"{where}: unknown top-level field '{extra[0]}' (a document has kind and spec)");
        }

        where = $"{where} ({kind})";
        var spec = new Spec(specNode, where);
        return kind.ToLowerInvariant() switch
        {
            "task" => PlanTask(spec, where),
            "board" => PlanBoard(spec, where),
            "agent" => PlanAgent(spec, where),
            "repo" or "repository" => PlanRepo(spec, where),
            "label" => PlanLabel(spec, where),
            _ => throw new CliFailureException($"{where}: kind '{kind}' cannot be applied (use Board, Task, Agent, Repo or Label)"),
        };
    }

    private static TaskStep PlanTask(Spec spec, string where)
    {
        spec.RequireKnown(TaskFields, TaskOutputOnly);
        var id = spec.String("id");
        var repo = spec.String("repository_id", "repository", "repo");
        var assignee = spec.String("assigned_to", "assign_to", "assignee");
        var labels = spec.List("labels");
        var dependsOn = spec.List("depends_on");
        var scheduledAt = spec.Timestamp("scheduled_at");
        if (id is not null)
        {
            // board_id is the task's home; it is accepted (round trip) but a task does not move between boards.
            return new TaskStep(where, id, null, new UpdateTaskRequest
            {
                Title = spec.String("title"),
                Description = spec.String("description"),
                RepositoryId = repo,
                AssignedTo = assignee,
                PrUrl = spec.String("pr_url"),
                Labels = labels,
                DependsOn = dependsOn,
                ScheduledAt = scheduledAt,
                Position = spec.Long("position"),
            });
        }

        return new TaskStep(where, null, new CreateTaskRequest
        {
            BoardId = spec.RequiredString("board_id", "board"),
            Title = spec.RequiredString("title"),
            Description = spec.String("description"),
            RepositoryId = repo,
            AssignedTo = assignee,
            Labels = labels,
            DependsOn = dependsOn,
            ScheduledAt = string.IsNullOrEmpty(scheduledAt) ? null : DateTimeOffset.Parse(scheduledAt, System.Globalization.CultureInfo.InvariantCulture),
            ParentId = spec.String("parent_id", "parent"),
        }, null);
    }

    private static BoardStep PlanBoard(Spec spec, string where)
    {
        spec.RequireKnown(BoardFields, Timestamps);
        var labels = new List<CreateLabelRequest>();
        foreach (var item in spec.Array("labels") ?? [])
        {
            if (item is not JsonObject label)
            {
                throw spec.Error("each of 'labels' must be an object with name and color");
            }

            var labelSpec = new Spec(label, where + " label");
            labelSpec.RequireKnown(["name", "color", "description"], []);
            labels.Add(new CreateLabelRequest(labelSpec.RequiredString("name"), labelSpec.RequiredString("color"), labelSpec.String("description")));
        }

        var id = spec.String("id");
        return id is not null
            ? new BoardStep(where, id, null, new UpdateBoardRequest(spec.String("name"), spec.String("description")), labels)
            : new BoardStep(where, null, new CreateBoardRequest(spec.RequiredString("name"), spec.RequiredString("type"), spec.String("description")), null, labels);
    }

    private static AgentStep PlanAgent(Spec spec, string where)
    {
        spec.RequireKnown(AgentFields, Timestamps);
        var id = spec.String("id");
        if (id is not null)
        {
            return new AgentStep(where, id, null, new UpdateAgentRequest
            {
                Name = spec.String("name"),
                Runtime = spec.String("runtime"),
                Kind = spec.String("kind"),
                Model = spec.String("model"),
                Role = spec.String("role"),
                Instructions = spec.String("instructions"),
                PermissionMode = spec.String("permission_mode"),
            });
        }

        return new AgentStep(where, null, new CreateAgentRequest
        {
            Username = spec.RequiredString("username"),
            Runtime = spec.RequiredString("runtime"),
            Kind = spec.String("kind") ?? "worker",
            Name = spec.String("name"),
            Model = spec.String("model"),
            Role = spec.String("role"),
            Instructions = spec.String("instructions"),
            PermissionMode = spec.String("permission_mode"),
        }, null);
    }

    private static RepoStep PlanRepo(Spec spec, string where)
    {
        spec.RequireKnown(RepoFields, ["created_at"]);
        var id = spec.String("id");
        return new RepoStep(where, id, new CreateRepositoryRequest(
            id is null ? spec.RequiredString("name") : spec.String("name"),
            id is null ? spec.RequiredString("url") : spec.String("url")));
    }

    private static LabelStep PlanLabel(Spec spec, string where)
    {
        spec.RequireKnown(LabelFields, []);
        return new LabelStep(where, spec.RequiredString("board_id", "board"),
            new CreateLabelRequest(spec.RequiredString("name"), spec.RequiredString("color"), spec.String("description")));
    }
}
