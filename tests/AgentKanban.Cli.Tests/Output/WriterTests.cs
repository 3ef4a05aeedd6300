using System.Text.Json;
using System.Text.Json.Nodes;
using AgentKanban.Cli.Apply;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Resources;
using AgentKanban.Cli.Tests.Infrastructure;
using AgentKanban.Contracts;

namespace AgentKanban.Cli.Tests.Output;

public sealed class WriterTests
{
    private static readonly Views Views = new(Samples.Created.AddHours(3), new Dictionary<string, string> { ["a1"] = "claude-1" });

    [Fact]
    public void Json_of_one_resource_is_one_snake_case_object()
    {
        using var writer = new StringWriter();
        ResourcePrinter.WriteOne(writer, Views.Task, Samples.Task(), OutputFormat.Json);

        var node = JsonNode.Parse(writer.ToString())!.AsObject();
        Assert.Equal("t1", (string?)node["id"]);
        Assert.Equal("b1", (string?)node["board_id"]);
        Assert.Equal("a1", (string?)node["assigned_to"]);
        Assert.True((bool)node["blocked"]!);
        Assert.Equal(["t0"], node["depends_on"]!.AsArray().Select(n => (string?)n));
        Assert.True(node.ContainsKey("scheduled_at"));
        Assert.True(node.ContainsKey("pr_url"));
        Assert.Contains("\n  \"id\"", writer.ToString(), StringComparison.Ordinal); // pretty-printed
        Assert.Contains("+02:00", writer.ToString(), StringComparison.Ordinal); // not escaped as \u002B
    }

    [Fact]
    public void Json_of_a_list_is_an_array_even_when_empty_or_single()
    {
        using var one = new StringWriter();
        using var none = new StringWriter();
        using var errors = new StringWriter();
        ResourcePrinter.WriteMany(one, errors, Views.Task, [Samples.Task()], OutputFormat.Json);
        ResourcePrinter.WriteMany(none, errors, Views.Task, [], OutputFormat.Json);

        Assert.Single(JsonNode.Parse(one.ToString())!.AsArray());
        Assert.Empty(JsonNode.Parse(none.ToString())!.AsArray());
        Assert.Equal("", errors.ToString());
    }

    [Fact]
    public void Json_output_deserialises_back_into_the_contract()
    {
        using var writer = new StringWriter();
        ResourcePrinter.WriteOne(writer, Views.Task, Samples.Task(), OutputFormat.Json);

        var back = JsonSerializer.Deserialize(writer.ToString(), ContractsJsonContext.Default.TaskDto)!;
        Assert.Equal(Samples.Task().Description, back.Description);
        Assert.Equal(Samples.Task().ScheduledAt, back.ScheduledAt);
    }

    [Fact]
    public void Yaml_round_trips_through_the_apply_reader()
    {
        var task = Samples.Task();
        using var writer = new StringWriter();
        ResourcePrinter.WriteMany(writer, TextWriter.Null, Views.Task, [task, Samples.Task("t2", "123")], OutputFormat.Yaml);

        var documents = ApplyDocuments.Read(writer.ToString(), "test");
        Assert.Equal(2, documents.Count);
        Assert.Equal("Task", (string?)documents[0]["kind"]);
        var spec = documents[0]["spec"]!.AsObject();
        var expected = JsonSerializer.SerializeToNode(task, ContractsJsonContext.Default.TaskDto)!.AsObject();
        foreach (var (key, value) in expected)
        {
            if (value is null)
            {
                Assert.False(spec.ContainsKey(key), $"null field {key} is left out");
            }
            else
            {
                Assert.True(JsonNode.DeepEquals(value, spec[key]), $"{key}: {value.ToJsonString()} != {spec[key]?.ToJsonString()}");
            }
        }

        // A title that looks like a number stays text.
        Assert.Equal(JsonValueKind.String, documents[1]["spec"]!["title"]!.GetValueKind());
    }

    [Fact]
    public void Yaml_of_a_task_plans_into_an_update_of_the_same_fields()
    {
        using var writer = new StringWriter();
        ResourcePrinter.WriteOne(writer, Views.Task, Samples.Task(), OutputFormat.Yaml);

        var step = Assert.IsType<TaskStep>(Assert.Single(ApplyPlanner.Plan(ApplyDocuments.Read(writer.ToString(), "t"), "t")));
        Assert.Equal("t1", step.Id);
        Assert.Null(step.Create);
        Assert.Equal("Fix login", step.Update!.Title);
        Assert.Equal(Samples.Task().Description, step.Update.Description);
        Assert.Equal(["bug", "true", "123"], step.Update.Labels!);
        Assert.Equal(["t0"], step.Update.DependsOn!);
        Assert.Equal("a1", step.Update.AssignedTo);
        Assert.Equal(Samples.Task().ScheduledAt, DateTimeOffset.Parse(step.Update.ScheduledAt!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Yaml_of_a_board_keeps_its_labels()
    {
        using var writer = new StringWriter();
        ResourcePrinter.WriteOne(writer, Views.Board, Samples.Board(), OutputFormat.Yaml);

        var step = Assert.IsType<BoardStep>(Assert.Single(ApplyPlanner.Plan(ApplyDocuments.Read(writer.ToString(), "t"), "t")));
        Assert.Equal("b1", step.Id);
        Assert.Equal(new CreateLabelRequest("bug", "#d73a4a", "Something is broken"), Assert.Single(step.Labels));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("123")]
    [InlineData("1.5")]
    [InlineData("yes")]
    [InlineData("")]
    [InlineData(" padded")]
    [InlineData("a: b")]
    [InlineData("#hash")]
    [InlineData("- dash")]
    [InlineData("2025-06-01")]
    [InlineData("multi\nline")]
    [InlineData("{braces}")]
    [InlineData("'quoted'")]
    public void Awkward_strings_survive_yaml(string text)
    {
        using var writer = new StringWriter();
        YamlJson.WriteDocuments(writer, [new JsonObject { ["value"] = text }]);

        using var reader = new StringReader(writer.ToString());
        var back = Assert.Single(YamlJson.ReadDocuments(reader))!;
        Assert.Equal(JsonValueKind.String, back["value"]!.GetValueKind());
        Assert.Equal(text, (string?)back["value"]);
    }

    [Fact]
    public void Table_columns_are_aligned_and_padded()
    {
        using var writer = new StringWriter();
        ResourcePrinter.WriteMany(writer, TextWriter.Null, Views.Task, [Samples.Task("t1", "short"), Samples.Task("t22", "a much longer title")], OutputFormat.Table);

        var lines = writer.ToString().TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ID    STATUS", lines[0], StringComparison.Ordinal);
        var titleColumn = lines[0].IndexOf("TITLE", StringComparison.Ordinal);
        Assert.Equal("short", lines[1][titleColumn..].Split("   ")[0]);
        Assert.Equal("a much longer title", lines[2][titleColumn..].Split("   ")[0]);
        Assert.Contains("claude-1", lines[1], StringComparison.Ordinal); // assignee shown by username
        Assert.DoesNotContain('\u001b', writer.ToString()); // no colour codes
    }

    [Fact]
    public void Wide_adds_columns()
    {
        using var table = new StringWriter();
        using var wide = new StringWriter();
        ResourcePrinter.WriteOne(table, Views.Task, Samples.Task(), OutputFormat.Table);
        ResourcePrinter.WriteOne(wide, Views.Task, Samples.Task(), OutputFormat.Wide);

        Assert.DoesNotContain("DEPENDS_ON", table.ToString(), StringComparison.Ordinal);
        Assert.Contains("DEPENDS_ON", wide.ToString(), StringComparison.Ordinal);
        Assert.Contains("2025-06-01 07:00:00Z", wide.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_table_says_so_on_stderr_only()
    {
        using var writer = new StringWriter();
        using var errors = new StringWriter();
        ResourcePrinter.WriteMany(writer, errors, Views.Task, [], OutputFormat.Table);

        Assert.Equal("", writer.ToString());
        Assert.Equal("No tasks found.", errors.ToString().Trim());
    }

    [Fact]
    public void Name_output_is_kind_slash_id()
    {
        using var writer = new StringWriter();
        ResourcePrinter.WriteMany(writer, TextWriter.Null, Views.Board, [Samples.Board("b1"), Samples.Board("b2")], OutputFormat.Name);

        Assert.Equal(["board/b1", "board/b2"], writer.ToString().TrimEnd().Split('\n'));
    }
}
