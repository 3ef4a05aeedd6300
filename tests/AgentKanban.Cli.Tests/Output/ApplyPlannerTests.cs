using AgentKanban.Cli.Apply;

namespace AgentKanban.Cli.Tests.Output;

public sealed class ApplyPlannerTests
{
    private static List<ApplyStep> Plan(string text) => ApplyPlanner.Plan(ApplyDocuments.Read(text, "f.yaml"), "f.yaml");

    [Fact]
    public void Multi_document_yaml_with_camel_case_keys()
    {
        var steps = Plan("""
            kind: Board
            spec:
              name: web
              type: dev
            ---
            kind: Task
            spec:
              boardId: web
              title: Fix login
              assignTo: claude-1
              dependsOn: [a1, b2]
              labels: bug, ui
              scheduledAt: 2025-06-01T09:00:00Z
            ---
            kind: Task
            spec:
              id: t9
              prUrl: https://example.com/pr/3
            """);

        Assert.Equal(3, steps.Count);
        var board = Assert.IsType<BoardStep>(steps[0]);
        Assert.Equal(("web", "dev"), (board.Create!.Name, board.Create.Type));
        var create = Assert.IsType<TaskStep>(steps[1]).Create!;
        Assert.Equal("web", create.BoardId);
        Assert.Equal("claude-1", create.AssignedTo);
        Assert.Equal(["a1", "b2"], create.DependsOn!);
        Assert.Equal(["bug", "ui"], create.Labels!);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 9, 0, 0, TimeSpan.Zero), create.ScheduledAt);
        var update = Assert.IsType<TaskStep>(steps[2]);
        Assert.Equal("t9", update.Id);
        Assert.Equal("https://example.com/pr/3", update.Update!.PrUrl);
        Assert.Null(update.Update.Title);
    }

    [Fact]
    public void Json_object_or_array()
    {
        var one = Plan("""{"kind":"Repo","spec":{"name":"site","url":"https://example.com/a/site"}}""");
        var many = Plan("""[{"kind":"Agent","spec":{"username":"c1","runtime":"claude"}},{"kind":"Label","spec":{"board":"web","name":"bug","color":"#ff0000"}}]""");

        Assert.Equal("site", Assert.IsType<RepoStep>(Assert.Single(one)).Create.Name);
        Assert.Equal("worker", Assert.IsType<AgentStep>(many[0]).Create!.Kind);
        Assert.Equal("web", Assert.IsType<LabelStep>(many[1]).Board);
    }

    [Theory]
    [InlineData("kind: Task\nspec:\n  title: no board\n", "'board_id' is required")]
    [InlineData("kind: Task\nspec:\n  board: b\n  tittle: typo\n", "unknown field 'tittle'")]
    [InlineData("kind: Gizmo\nspec:\n  name: x\n", "kind 'Gizmo' cannot be applied")]
    [InlineData("spec:\n  name: x\n", "'kind' is required")]
    [InlineData("kind: Board\nspec: nope\n", "'spec' must be an object")]
    [InlineData("kind: Task\nspec:\n  board: b\n  title: t\n  scheduled_at: tomorrow\n", "not an ISO-8601 time")]
    [InlineData("kind: Task\nspec:\n  board_id: b\n  boardId: c\n  title: t\n", "given twice")]
    [InlineData("kind: Task\nspec:\n  board: b\n  board_id: c\n  title: t\n", "give only one of")]
    [InlineData("kind: Task\nspec: [\n", "not valid YAML")]
    [InlineData("{\"kind\": ", "not valid JSON")]
    [InlineData("", "no documents")]
    public void Bad_documents_are_refused_with_a_clear_message(string text, string message)
    {
        var error = Assert.ThrowsAny<CliFailureException>(() => Plan(text));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("f.yaml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_failing_document_is_named()
    {
        var error = Assert.ThrowsAny<CliFailureException>(() => Plan("kind: Board\nspec:\n  name: a\n  type: dev\n---\nkind: Board\nspec:\n  name: b\n"));

        Assert.Contains("document 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("'type' is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("boardId", "board_id")]
    [InlineData("prUrl", "pr_url")]
    [InlineData("depends_on", "depends_on")]
    [InlineData("permission-mode", "permission_mode")]
    [InlineData("id", "id")]
    public void Keys_normalise_to_snake_case(string key, string expected) => Assert.Equal(expected, Spec.ToSnakeCase(key));
}
