using AgentKanban.Cli.Output;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Cli.Resources;
using AgentKanban.Cli.Waiting;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak wait task ID… [--until STATUS] [--timeout D]</c>.</summary>
public sealed record WaitForTasks(IReadOnlyList<string> Ids, string Until, TimeSpan? Timeout, OutputFormat Output) : ICliRun
{
    /// <summary>Pause before reopening a broken stream (it doubles, up to 10 s, while the server stays away).</summary>
    internal static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>With nothing else to say, a wait says where it stands this often (stderr, readable output only).</summary>
    internal static readonly TimeSpan RemindEvery = TimeSpan.FromMinutes(1);

    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        IReadOnlyList<string> ids = Ids.Count > 0 ? Ids : [context.TaskIdOrDefault(null)];
        var watch = new TaskSetWatch(context, ids, Until, Output);
        var what = ids.Count == 1 ? $"task {ids[0]}" : $"{ids.Count} tasks";
        return await WaitDeadline.RunAsync(context, Timeout, async ct =>
        {
            if (await watch.StartAsync(ct) is { } decided)
            {
                return decided;
            }

            return await new BoardFollower(context, RetryDelay, RemindEvery).RunAsync(watch.Boards, watch, ct);
        }, () => $"{what} to be {Until} ({watch.Summary()})", cancellationToken);
    }
}

/// <summary><c>ak wait board B [--until GOAL] [--filter S,…] [--label L] [--assigned-to A] [--repo R] [--timeout D]</c>.</summary>
public sealed record WaitForBoard(string Board, BoardGoal Goal, TaskQuery Query, TimeSpan? Timeout, OutputFormat Output) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        BoardWatch? watch = null;
        return await WaitDeadline.RunAsync(context, Timeout, async ct =>
        {
            var client = context.Client;
            BoardDto board;
            try
            {
                board = await client.GetBoardAsync(Board, ct);
            }
            catch (ServerApiException e) when (e.IsNotFound)
            {
                throw new CliFailureException($"no board '{Board}' (see `ak get boards`)", e);
            }

            var selection = new BoardSelection(
                board.Id,
                Query.Label,
                Query.AssignedTo is null ? null : await Resolve.AgentIdAsync(client, Query.AssignedTo, ct),
                Query.Repo is null ? null : await Resolve.RepositoryIdAsync(client, Query.Repo, ct));
            watch = new BoardWatch(context, selection, Goal, board.Name, Output);
            return await new BoardFollower(context, WaitForTasks.RetryDelay, WaitForTasks.RemindEvery).RunAsync([board.Id], watch, ct);
        }, () => $"{Goal.Describe()} on board {Board}" + (watch is null ? "" : $" ({watch.Count()})"), cancellationToken);
    }
}

/// <summary>Runs a wait under its <c>--timeout</c>: when that passes first, says so and exits 124.</summary>
internal static class WaitDeadline
{
    public static async Task<int> RunAsync(
        CliContext context, TimeSpan? timeout, Func<CancellationToken, Task<int>> wait, Func<string> waitingFor, CancellationToken cancellationToken)
    {
        using var deadline = timeout is { } limit ? new CancellationTokenSource(limit, context.Time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await wait(linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine($"error: timed out after {Age.Format(timeout!.Value)} waiting for {waitingFor()}");
            return WaitExit.TimedOut;
        }
    }
}
