using AgentKanban.Cli.Commands;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Tests.Parsing;

/// <summary>Parsing is pure: arguments become a runnable record (compared here field by field) or a usage error.</summary>
public sealed class ParserTests
{
    private static T Parse<T>(params string[] args)
        where T : ICliRun
    {
        var outcome = new CliParser().Parse(args);
        var run = Assert.IsType<ParseOutcome.Run>(outcome, exactMatch: true);
        return Assert.IsType<T>(run.Command);
    }

    private static ParseOutcome.Usage Usage(params string[] args) =>
        Assert.IsType<ParseOutcome.Usage>(new CliParser().Parse(args), exactMatch: true);

    [Fact]
    public void Create_task_flags_become_the_request()
    {
        var run = Parse<CreateTask>("create", "task", "--board", "web", "--title", "Fix login", "--description", "the redirect",
            "--repo", "site", "--assign-to", "claude-1", "--labels", "bug, urgent", "--depends-on", "a1,b2",
            "--scheduled-at", "2025-06-01T09:00:00+02:00", "-o", "json");

        Assert.Equal("web", run.Request.BoardId);
        Assert.Equal("Fix login", run.Request.Title);
        Assert.Equal("the redirect", run.Request.Description);
        Assert.Equal("site", run.Request.RepositoryId);
        Assert.Equal("claude-1", run.Request.AssignedTo);
        Assert.Equal(["bug", "urgent"], run.Request.Labels!);
        Assert.Equal(["a1", "b2"], run.Request.DependsOn!);
        Assert.Equal(new DateTimeOffset(2025, 6, 1, 7, 0, 0, TimeSpan.Zero), run.Request.ScheduledAt!.Value.ToUniversalTime());
        Assert.Equal(OutputFormat.Json, run.Output);
    }

    [Fact]
    public void Daemon_caps_and_the_unknown_reset_pause_reach_the_run_and_the_background_daemon()
    {
        var run = Parse<RunDaemon>("daemon", "run", "--max-agents", "4", "--unknown-reset-pause", "15m");
        var start = Parse<StartDaemon>("daemon", "start", "--unknown-reset-pause", "90s");

        Assert.Equal(new AgentCaps(4, null, TimeSpan.FromMinutes(15)), run.Caps);
        Assert.Equal(TimeSpan.FromSeconds(90), start.Caps!.UnknownResetPause);
        Assert.Equal(["--unknown-reset-pause", "90"], start.Caps.AsArguments());
        Assert.Null(Parse<RunDaemon>("daemon", "run").Caps!.UnknownResetPause);
    }

    [Fact]
    public void Create_task_without_optional_flags_leaves_them_null()
    {
        var run = Parse<CreateTask>("create", "tasks", "--board", "b", "--title", "t");

        Assert.Null(run.Request.Labels);
        Assert.Null(run.Request.DependsOn);
        Assert.Null(run.Request.ScheduledAt);
        Assert.Null(run.Request.AssignedTo);
        Assert.Equal(OutputFormat.Table, run.Output);
    }

    [Theory]
    [InlineData("create", "task", "--title", "t")] // missing --board
    [InlineData("create", "task", "--board", "b")] // missing --title
    [InlineData("create", "task", "--board", "b", "--title", "t", "--scheduled-at", "2025-06-01T09:00:00")] // no zone
    [InlineData("create", "task", "--board", "b", "--title", "t", "--bogus")]
    [InlineData("create", "board", "--name", "n", "--type", "prod")]
    [InlineData("create", "agent", "--username", "u", "--runtime", "vim")]
    [InlineData("create", "agent", "--username", "u", "--runtime", "claude", "--kind", "boss")]
    [InlineData("create", "label", "--board", "b", "--name", "n", "--color", "red")]
    [InlineData("get", "tasks", "-o", "xml")]
    [InlineData("get", "tasks", "--status", "doing")]
    [InlineData("get", "task", "--bogus")]
    [InlineData("frobnicate")]
    [InlineData("get")]
    [InlineData()]
    [InlineData("update", "task", "abc")] // nothing to update
    [InlineData("wait", "task", "abc", "--until", "finished")]
    [InlineData("wait", "task", "abc", "--timeout", "soon")]
    [InlineData("config", "set")]
    [InlineData("daemon", "run", "--unknown-reset-pause", "later")]
    [InlineData("get", "models")]
    [InlineData("get", "models", "--runtime", "vim")]
    [InlineData("daemon", "start", "--unknown-reset-pause", "0")]
    [InlineData("config", "set", "--server", "localhost:7420")]
    [InlineData("up", "--port", "70000")]
    [InlineData("task", "note")]
    [InlineData("delete", "label", "bug")] // missing --board
    public void Bad_command_lines_are_usage_errors(params string[] args)
    {
        var usage = Usage(args);

        Assert.NotEmpty(usage.Errors);
        Assert.StartsWith("ak", usage.CommandPath, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_board_repo_agent_and_label()
    {
        var board = Parse<CreateBoard>("create", "board", "--name", "web", "--type", "ops", "--description", "d");
        Assert.Equal(("web", "ops", "d"), (board.Request.Name, board.Request.Type, board.Request.Description));

        var repo = Parse<CreateRepo>("create", "repo", "--name", "site", "--url", "https://example.com/a/site.git");
        Assert.Equal(("site", "https://example.com/a/site.git"), (repo.Request.Name, repo.Request.Url));

        var agent = Parse<CreateAgent>("create", "agent", "--username", "claude-1", "--runtime", "claude", "--model", "sonnet",
            "--role", "backend", "--instructions", "be brief", "--name", "Claude One");
        Assert.Equal("claude-1", agent.Request.Username);
        Assert.Equal("claude", agent.Request.Runtime);
        Assert.Equal("worker", agent.Request.Kind);
        Assert.Equal("sonnet", agent.Request.Model);
        Assert.Equal("backend", agent.Request.Role);
        Assert.Equal("be brief", agent.Request.Instructions);
        Assert.Equal("Claude One", agent.Request.Name);

        var leader = Parse<CreateAgent>("create", "agent", "--username", "lead", "--runtime", "codex", "--kind", "leader");
        Assert.Equal("leader", leader.Request.Kind);

        var label = Parse<CreateLabel>("create", "label", "--board", "web", "--name", "bug", "--color", "#D73A4A");
        Assert.Equal(("web", "bug", "#D73A4A"), (label.Board, label.Request.Name, label.Request.Color));
    }

    [Theory]
    [InlineData("task")]
    [InlineData("tasks")]
    [InlineData("tk")]
    public void Kinds_accept_singular_plural_and_short_forms(string kind)
    {
        var run = Parse<GetTasks>("get", kind, "--board", "web", "--status", "in_review", "--assignee", "claude-1");

        Assert.Null(run.Id);
        Assert.Equal(new TaskQuery("web", "in_review", null, "claude-1", null), run.Query);
    }

    [Fact]
    public void Get_with_an_id_and_every_kind()
    {
        Assert.Equal("abc", Parse<GetTasks>("get", "task", "abc", "-o", "json").Id);
        Assert.Equal(OutputFormat.Yaml, Parse<GetBoards>("get", "boards", "-o", "yaml").Output);
        Assert.Equal(OutputFormat.Wide, Parse<GetAgents>("get", "agents", "-o", "wide").Output);
        Assert.Equal("r1", Parse<GetRepos>("get", "repository", "r1").Id);
        Assert.Equal("web", Parse<GetLabels>("get", "labels", "--board", "web").Board);
        Assert.IsType<GetMachines>(Parse<GetMachines>("get", "machines"));
        Assert.Equal("active", Parse<GetSessions>("get", "sessions", "--status", "active").Query.Status);
    }

    [Fact]
    public void Output_option_works_before_the_command_too()
    {
        Assert.Equal(OutputFormat.Json, Parse<GetTasks>("-o", "json", "get", "tasks").Output);
    }

    [Fact]
    public void Update_task_distinguishes_absent_from_cleared()
    {
        var run = Parse<UpdateTask>("update", "task", "t1", "--depends-on", "a,b", "--labels", "", "--scheduled-at", "");

        Assert.Equal("t1", run.Id);
        Assert.Equal(["a", "b"], run.Request.DependsOn!);
        Assert.Empty(run.Request.Labels!);
        Assert.Equal("", run.Request.ScheduledAt);
        Assert.Null(run.Request.Title);
        Assert.Null(run.Request.AssignedTo);
    }

    [Theory]
    [InlineData("claim", TaskAction.Claim)]
    [InlineData("review", TaskAction.Review)]
    [InlineData("complete", TaskAction.Complete)]
    [InlineData("reject", TaskAction.Reject)]
    [InlineData("cancel", TaskAction.Cancel)]
    [InlineData("release", TaskAction.Release)]
    public void Task_transitions_take_an_optional_id(string verb, TaskAction action)
    {
        var withId = Parse<TransitionTask>("task", verb, "t1");
        var withoutId = Parse<TransitionTask>("task", verb);

        Assert.Equal(("t1", action), (withId.Id, withId.Action));
        Assert.Null(withoutId.Id);
    }

    [Fact]
    public void Review_and_reject_carry_their_extras()
    {
        Assert.Equal("https://example.com/pr/1", Parse<TransitionTask>("task", "review", "--pr-url", "https://example.com/pr/1").Body.PrUrl);
        Assert.Equal("needs tests", Parse<TransitionTask>("task", "reject", "t1", "--reason", "needs tests").Body.Reason);
    }

    [Fact]
    public void Note_and_message_take_an_optional_id_then_the_text()
    {
        Assert.Equal(new AddNote(null, "tests pass", OutputFormat.Table), Parse<AddNote>("task", "note", "tests pass"));
        Assert.Equal(new AddNote("t1", "tests pass", OutputFormat.Table), Parse<AddNote>("task", "note", "t1", "tests pass"));
        Assert.Equal(new SendMessage("t1", "hello", OutputFormat.Json), Parse<SendMessage>("task", "message", "t1", "hello", "-o", "json"));
    }

    [Fact]
    public void Wait_defaults_to_done_without_a_time_limit()
    {
        var plain = Parse<WaitForTasks>("wait", "task", "t1");
        var bounded = Parse<WaitForTasks>("wait", "task", "t1", "--until", "in_review", "--timeout", "1h30m");

        Assert.Equal(["t1"], plain.Ids);
        Assert.Equal(("done", (TimeSpan?)null), (plain.Until, plain.Timeout));
        Assert.Equal(("in_review", (TimeSpan?)TimeSpan.FromMinutes(90)), (bounded.Until, bounded.Timeout));
    }

    [Fact]
    public void Wait_task_takes_several_ids_once_each()
    {
        var run = Parse<WaitForTasks>("wait", "task", "t1", "t2", "t1", "--until", "cancelled");

        Assert.Equal(["t1", "t2"], run.Ids);
        Assert.Empty(Parse<WaitForTasks>("wait", "task").Ids); // $AK_TASK_ID, read when it runs
    }

    [Fact]
    public void Wait_board_goals_default_to_all_done_or_first_match_with_a_filter()
    {
        var plain = Parse<WaitForBoard>("wait", "board", "web", "--label", "release", "--assigned-to", "claude-1", "--repo", "site");
        var filtered = Parse<WaitForBoard>("wait", "board", "web", "--filter", "in_review, done");
        var status = Parse<WaitForBoard>("wait", "board", "web", "--until", "in_review");
        var fresh = Parse<WaitForBoard>("wait", "board", "web", "--until", "first-match", "--filter", "done", "--include-current", "false");
        var allReview = Parse<WaitForBoard>("wait", "board", "web", "--until", "all-in_review", "--timeout", "2h");

        Assert.Equal((true, "done"), (plain.Goal.All, plain.Goal.Status));
        Assert.Equal(new TaskQuery(null, null, "release", "claude-1", "site"), plain.Query);
        Assert.Equal((false, true), (filtered.Goal.All, filtered.Goal.IncludeCurrent));
        Assert.Equal(["in_review", "done"], filtered.Goal.Statuses);
        Assert.Equal((false, true), (status.Goal.All, status.Goal.IncludeCurrent));
        Assert.Equal(["in_review"], status.Goal.Statuses);
        Assert.False(fresh.Goal.IncludeCurrent);
        Assert.Equal((true, "in_review", (TimeSpan?)TimeSpan.FromHours(2)), (allReview.Goal.All, allReview.Goal.Status, allReview.Timeout));
    }

    [Fact]
    public void Wait_pr_asks_every_ten_seconds_unless_told()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), Parse<WaitForPr>("wait", "pr", "t1").Interval);
        Assert.Equal(TimeSpan.FromSeconds(3), Parse<WaitForPr>("wait", "pr", "t1", "--interval", "3s", "--timeout", "30m").Interval);
    }

    [Fact]
    public void Config_set_normalises_the_server_url()
    {
        var run = Parse<SetConfig>("config", "set", "--server", "http://127.0.0.1:7420/", "--token", "akp_x");

        Assert.Equal(("http://127.0.0.1:7420", "akp_x"), (run.Server, run.Token));
    }

    [Fact]
    public void Server_and_up_defaults()
    {
        var server = Parse<RunServer>("server", "--data", "/tmp/x", "--urls", "http://127.0.0.1:9000");
        var up = Parse<RunUp>("up");

        Assert.Equal(new RunServer("/tmp/x", null, "http://127.0.0.1:9000"), server);
        Assert.Equal((null, 7420), (up.DataDir, up.Port));
    }

    [Fact]
    public void Apply_reads_a_file_or_stdin()
    {
        Assert.Equal("-", Parse<ApplyFile>("apply", "-f", "-").File);
        Assert.Equal("x.yaml", Parse<ApplyFile>("apply", "--filename", "x.yaml").File);
    }

    [Fact]
    public void Delete_takes_several_ids()
    {
        var run = Parse<DeleteResources>("delete", "tasks", "a", "b");

        Assert.Equal(DeleteKind.Task, run.Kind);
        Assert.Equal(["a", "b"], run.Ids);
    }

    [Fact]
    public void Version_is_a_command_of_its_own()
    {
        Assert.IsType<VersionRun>(Parse<VersionRun>("--version"));
    }

    [Fact]
    public void Help_is_left_to_the_parser()
    {
        Assert.IsType<ParseOutcome.BuiltIn>(new CliParser().Parse(["create", "task", "--help"]), exactMatch: true);
    }
}
