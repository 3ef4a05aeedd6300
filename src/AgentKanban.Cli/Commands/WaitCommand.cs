using System.CommandLine;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Cli.Waiting;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Commands;

/// <summary>
/// <c>ak wait task|board|pr</c>: block until something happens, for scripts. Exit 0 when it happened, 1 when it never can
/// (the reason on stderr) or on an error, 124 when <c>--timeout</c> passed first, 2 on a usage error.
/// </summary>
public static class WaitCommand
{
    /// <summary>How often <c>ak wait pr</c> asks GitHub by default, and the least it accepts.</summary>
    public static readonly TimeSpan DefaultPrInterval = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan MinimumPrInterval = TimeSpan.FromSeconds(1);

    private static readonly string[] Statuses = [.. TaskStatusNames.All.Select(s => s.ToName())];

    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var wait = new Command("wait", """
            Wait for tasks, a board or a pull request, for scripts. Tasks and boards are followed on the server's live
            event stream (no polling); a pull request's checks are asked of GitHub through gh.
            Exit codes: 0 it happened, 1 it never can (the reason on stderr) or an error, 124 --timeout passed, 2 usage.
            """);
        wait.Add(BuildTask(parser));
        wait.Add(BuildBoard(parser));
        wait.Add(BuildPr(parser));
        return wait;
    }

    private static Command BuildTask(CliParser parser)
    {
        var task = new Command("task", """
            Wait until every given task has reached a status (a task counts once it has been there). Prints
            "[status] id title PR=url" on each change, and "2/3 done" on stderr as tasks get there; with -o json the
            tasks at the end (one object for one id, else an array).
            Exit 0 when all got there; 1 when one ended (done or cancelled) in another status or was deleted, since it
            can then never get there; 124 on timeout.

            Examples:
              ak wait task 3f9c2a7d1b0e                                  (until done, no time limit)
              ak wait task 3f9c2a7d1b0e 9b1e04c2d7aa --until in_review --timeout 30m
              ak wait task 3f9c2a7d1b0e -o json | jq -r .pr_url
            """);
        var ids = CommonOptions.OptionalIds("ID", "Task ids (default: $AK_TASK_ID)");
        var until = new Option<string>("--until") { Description = "Status to wait for", HelpName = "STATUS", DefaultValueFactory = _ => TaskStatusNames.Done };
        until.AcceptOnlyFromAmong(Statuses);
        var timeout = TimeoutOption();
        task.Add(ids);
        task.Add(until);
        task.Add(timeout);
        parser.Bind(task, r => new WaitForTasks(
            [.. (r.GetValue(ids) ?? []).Distinct(StringComparer.Ordinal)], r.GetValue(until)!, Timeout(r, timeout), CommonOptions.Output(r, parser.Output)));
        return task;
    }

    private static Command BuildBoard(CliParser parser)
    {
        var board = new Command("board", """
            Wait for the tasks of a board (those matching --label, --assigned-to, --repo).
              --until all-done       every task is finished: done or cancelled (the default without --filter)
              --until all-STATUS     every task is in STATUS at once, e.g. all-in_review
              --until first-match    the first task that changes status, or appears, into a --filter status
                                     (the default with --filter); with --include-current a task already there counts
              --until STATUS         the first task in STATUS (the same as first-match --filter STATUS)
            An "all-" wait needs at least one task, and fails (exit 1) when a task ends in another final status.
            Prints "[status] id title" for each change (the match, for first-match); with -o json the tasks at the end
            (the matching task as one object). Exit 0 reached, 1 unreachable, 124 timeout.

            Examples:
              ak wait board web --until all-done --timeout 2h
              ak wait board web --label release --until all-in_review
              ak wait board web --filter in_review,done              (first task to reach review or done)
              ak wait board web --until first-match --filter done --include-current=false -o json
            """);
        var id = CommonOptions.Id("BOARD", "Board id or name");
        var until = CommonOptions.Optional("--until", "all-done, all-STATUS, first-match or STATUS (see above)", "GOAL");
        var filter = CommonOptions.List("--filter", "Statuses that count as a match for first-match (comma-separated)", "STATUS,…");
        var label = CommonOptions.Optional("--label", "Only tasks with this label", "LABEL");
        var assignee = CommonOptions.Optional("--assigned-to", "Only tasks assigned to this agent (id or username)", "AGENT", "--assignee");
        var repo = CommonOptions.Optional("--repo", "Only tasks of this repository (id, name or URL)", "REPO");
        var includeCurrent = new Option<bool?>("--include-current")
        {
            Description = "first-match: tasks already matching when the wait starts count (default: on with --filter or --until STATUS)",
        };
        var timeout = TimeoutOption();
        board.Add(id);
        board.Add(until);
        board.Add(filter);
        board.Add(label);
        board.Add(assignee);
        board.Add(repo);
        board.Add(includeCurrent);
        board.Add(timeout);
        parser.Bind(board, r => new WaitForBoard(
            r.GetValue(id)!,
            Goal(r.GetValue(until), CommonOptions.ListValue(r, filter), r.GetValue(includeCurrent)),
            new TaskQuery(null, null, r.GetValue(label), r.GetValue(assignee), r.GetValue(repo)),
            Timeout(r, timeout),
            CommonOptions.Output(r, parser.Output)));
        return board;
    }

    private static Command BuildPr(CliParser parser)
    {
        var pr = new Command("pr", """
            Wait for the checks of a task's pull request (its pr_url) to finish, asking GitHub through the gh CLI
            (gh pr view / gh pr checks, so gh must be installed and signed in). Prints each check's result; progress
            on stderr.
            Exit 0 when every check passed (or was skipped); 1 when a check failed or was cancelled (named on stderr),
            the pull request was closed without merging, the task has no pull request, or gh fails; 124 on timeout.

            Examples:
              ak wait pr 3f9c2a7d1b0e --timeout 30m
              ak wait task 3f9c2a7d1b0e --until in_review && ak wait pr 3f9c2a7d1b0e && ak task complete 3f9c2a7d1b0e
            """);
        var id = CommonOptions.OptionalId("TASK", "Task id (default: $AK_TASK_ID)");
        var timeout = TimeoutOption();
        var interval = CommonOptions.Optional("--interval", $"How often to ask GitHub (default {Age.Format(DefaultPrInterval)}, at least {Age.Format(MinimumPrInterval)})", "DURATION");
        pr.Add(id);
        pr.Add(timeout);
        pr.Add(interval);
        parser.Bind(pr, r =>
        {
            var every = DefaultPrInterval;
            if (r.GetValue(interval) is { } text)
            {
                if (!Durations.TryParse(text, out var parsed) || parsed is null)
                {
                    throw new UsageException($"--interval: '{text}' is not a duration (e.g. 10s, 1m)");
                }

                every = parsed.Value >= MinimumPrInterval
                    ? parsed.Value
                    : throw new UsageException($"--interval: {text} is too short; the shortest is {Age.Format(MinimumPrInterval)}");
            }

            return new WaitForPr(r.GetValue(id), Timeout(r, timeout), every, CommonOptions.Output(r, parser.Output));
        });
        return pr;
    }

    private static Option<string?> TimeoutOption() =>
        CommonOptions.Optional("--timeout", "Give up (exit 124) after this long: 30s, 5m, 2h (default: no limit)", "DURATION");

    private static TimeSpan? Timeout(ParseResult r, Option<string?> option)
    {
        var text = r.GetValue(option);
        TimeSpan? limit = null;
        return text is not null && !Durations.TryParse(text, out limit)
            ? throw new UsageException($"--timeout: '{text}' is not a duration (e.g. 30s, 5m, 2h)")
            : limit;
    }

    /// <summary>Turns --until/--filter/--include-current into a goal, refusing combinations that mean nothing.</summary>
    internal static BoardGoal Goal(string? until, IReadOnlyList<string>? filter, bool? includeCurrent)
    {
        foreach (var status in filter ?? [])
        {
            if (!Statuses.Contains(status, StringComparer.Ordinal))
            {
                throw new UsageException($"--filter: '{status}' is not a status (use {string.Join(", ", Statuses)})");
            }
        }

        var hasFilter = filter is { Count: > 0 };
        var goal = until ?? (hasFilter ? BoardGoal.FirstMatch : BoardGoal.AllDone);
        if (goal.StartsWith("all-", StringComparison.Ordinal))
        {
            var status = goal["all-".Length..];
            if (!Statuses.Contains(status, StringComparer.Ordinal))
            {
                throw new UsageException($"--until: '{goal}' names no status (use all-done or all-STATUS with one of {string.Join(", ", Statuses)})");
            }

            if (hasFilter || includeCurrent is not null)
            {
                throw new UsageException($"--filter and --include-current go with first-match, not {goal} (narrow an all- wait with --label, --assigned-to or --repo)");
            }

            return new BoardGoal(All: true, status, [], IncludeCurrent: true);
        }

        if (goal == BoardGoal.FirstMatch)
        {
            return new BoardGoal(All: false, null, filter ?? [], includeCurrent ?? hasFilter);
        }

        if (Statuses.Contains(goal, StringComparer.Ordinal))
        {
            return hasFilter
                ? throw new UsageException($"--until {goal} already names the status; use --until first-match --filter … for several")
                : new BoardGoal(All: false, null, [goal], includeCurrent ?? true);
        }

        throw new UsageException($"--until: '{goal}' is not all-done, all-STATUS, first-match or a status ({string.Join(", ", Statuses)})");
    }
}
