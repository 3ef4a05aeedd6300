using System.Text.Json.Nodes;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Waiting;

namespace AgentKanban.Cli.Commands;

/// <summary>
/// <c>ak wait pr TASK [--timeout D] [--interval D]</c>: asks gh about the task's pull request every interval (GitHub
/// offers this CLI no stream) until every check has finished, a check failed, or the pull request was closed.
/// </summary>
public sealed record WaitForPr(string? Task, TimeSpan? Timeout, TimeSpan Interval, OutputFormat Output) : ICliRun
{
    /// <summary>gh failing this many times in a row (network, rate limit) ends the wait.</summary>
    internal const int GhFailuresTolerated = 3;

    /// <summary>Polls with no check reported at all before giving up (CI that never starts), unless the PR is merged.</summary>
    internal const int NoChecksPatience = 18;

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.TaskIdOrDefault(Task);
        var output = new WaitOutput(context, Output);
        string? url = null;
        List<PrCheck>? last = null;
        return await WaitDeadline.RunAsync(context, Timeout, async ct =>
        {
            var task = await context.Client.GetTaskAsync(id, ct);
            if (string.IsNullOrWhiteSpace(task.PrUrl))
            {
                output.Reason($"task {id} has no pull request (its pr_url is empty; `ak task review --pr-url` sets it)");
                return WaitExit.Unreachable;
            }

            url = task.PrUrl;
            var gh = new GhCli(GhCli.Find(context.Env) ?? throw new CliFailureException(
                "gh (the GitHub CLI) was not found on PATH; install it and run `gh auth login`"), context.Env, context.Time);
            var failures = 0;
            var withoutChecks = 0;
            string? reported = null;
            while (true)
            {
                var (state, viewed) = await gh.PrStateAsync(url, ct);
                List<PrCheck>? checks = null;
                var listed = viewed;
                if (state is not null)
                {
                    (checks, listed) = await gh.ChecksAsync(url, ct);
                }

                if (checks is null)
                {
                    if (++failures >= GhFailuresTolerated)
                    {
                        throw new CliFailureException($"gh could not tell the checks of {url}: {listed.Message}");
                    }
                }
                else
                {
                    failures = 0;
                    last = checks;
                    if (Decide(context, output, url, state!, checks) is { } decided)
                    {
                        return decided;
                    }

                    withoutChecks = checks.Count == 0 ? withoutChecks + 1 : 0;
                    if (withoutChecks >= NoChecksPatience)
                    {
                        output.Reason($"no checks were reported for {url} after {withoutChecks} tries; does its repository run any?");
                        return WaitExit.Unreachable;
                    }

                    var line = Tally(checks);
                    if (line != reported)
                    {
                        output.Progress(line);
                        reported = line;
                    }
                }

                await System.Threading.Tasks.Task.Delay(Interval, context.Time, ct);
            }
        }, () => $"the checks of {url ?? $"task {id}'s pull request"}" + (last is null ? "" : $" ({Tally(last)})"), cancellationToken);
    }

    private int? Decide(CliContext context, WaitOutput output, string url, string state, List<PrCheck> checks)
    {
        if (string.Equals(state, "CLOSED", StringComparison.OrdinalIgnoreCase))
        {
            output.Reason($"pull request {url} was closed without merging");
            return WaitExit.Unreachable;
        }

        if (checks.Where(c => c.Failed).ToList() is { Count: > 0 } failed)
        {
            Print(context, url, state, checks);
            foreach (var check in failed)
            {
                var verb = check.Bucket == PrCheck.Cancel ? "was cancelled" : "failed";
                output.Reason($"check '{check.Name}' {verb}{(check.Link is null ? "" : $": {check.Link}")}");
            }

            return WaitExit.Unreachable;
        }

        var merged = string.Equals(state, "MERGED", StringComparison.OrdinalIgnoreCase);
        if ((checks.Count > 0 || merged) && checks.All(c => c.Finished))
        {
            Print(context, url, state, checks);
            return WaitExit.Reached;
        }

        return null;
    }

    private static string Tally(List<PrCheck> checks)
    {
        if (checks.Count == 0)
        {
            return "no checks reported yet";
        }

        var passed = checks.Count(c => c.Bucket is PrCheck.Pass or PrCheck.Skipping);
        var pending = checks.Where(c => !c.Finished).Select(c => c.Name).ToList();
        return $"checks: {passed}/{checks.Count} passed" + (pending.Count == 0 ? "" : $", waiting for {string.Join(", ", pending)}");
    }

    /// <summary>The outcome on stdout: one line per check, or one object with every check (json/yaml).</summary>
    private void Print(CliContext context, string url, string state, List<PrCheck> checks)
    {
        switch (Output)
        {
            case OutputFormat.Json or OutputFormat.Yaml:
                var array = new JsonArray();
                foreach (var check in checks)
                {
                    array.Add((JsonNode)new JsonObject
                    {
                        ["name"] = check.Name,
                        ["bucket"] = check.Bucket,
                        ["state"] = check.State,
                        ["link"] = check.Link,
                    });
                }

                var result = new JsonObject { ["pr_url"] = url, ["state"] = state, ["checks"] = array };
                if (Output == OutputFormat.Json)
                {
                    JsonOutput.WriteNode(context.Out, result);
                }
                else
                {
                    YamlJson.WriteDocuments(context.Out, [result]);
                }

                break;
            case OutputFormat.Name:
                context.Out.WriteLine(url);
                break;
            default:
                foreach (var check in checks)
                {
                    context.Out.WriteLine($"[{check.Bucket}] {check.Name}{(check.Link is null ? "" : $" {check.Link}")}");
                }

                break;
        }
    }
}
