using System.CommandLine;
using System.Text.Json;
using AgentKanban.Client;
using AgentKanban.Client.Sse;
using AgentKanban.Cli.Output;
using AgentKanban.Cli.Parsing;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Commands;

/// <summary><c>ak wait task ID --until STATUS [--timeout D]</c>: follows the task's event stream (or polls) until it gets there.</summary>
public static class WaitCommand
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(2);

    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var wait = new Command("wait", "Wait for something to happen on the board.");
        var task = new Command("task", """
            Wait until a task reaches a status. Exit 0 when it does; 1 on timeout, or when the task
            ends (done or cancelled) in another status, since it can then never get there.

            Examples:
              ak wait task 3f9c2a7d1b0e --until in_review --timeout 30m
              ak wait task 3f9c2a7d1b0e            (until done, no time limit)
            """);
        var id = CommonOptions.OptionalId("ID", "Task id (default: $AK_TASK_ID)");
        var until = new Option<string>("--until") { Description = "Status to wait for", HelpName = "STATUS", DefaultValueFactory = _ => TaskStatusNames.Done };
        until.AcceptOnlyFromAmong([.. TaskStatusNames.All.Select(s => s.ToName())]);
        var timeout = CommonOptions.Optional("--timeout", "Give up after this long (30s, 5m, 2h; 0 = never)", "DURATION");
        task.Add(id);
        task.Add(until);
        task.Add(timeout);
        parser.Bind(task, r =>
        {
            var text = r.GetValue(timeout);
            TimeSpan? limit = null;
            if (text is not null && !Durations.TryParse(text, out limit))
            {
                throw new UsageException($"--timeout: '{text}' is not a duration (e.g. 30s, 5m, 2h)");
            }

            return new WaitForTask(r.GetValue(id), r.GetValue(until)!, limit, CommonOptions.Output(r, parser.Output), DefaultPollInterval);
        });
        wait.Add(task);
        return wait;
    }
}

public sealed record WaitForTask(string? Id, string Until, TimeSpan? Timeout, OutputFormat Output, TimeSpan PollInterval) : ICliRun
{
    public async Task<int> RunAsync(CliContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var id = context.TaskIdOrDefault(Id);
        using var deadline = Timeout is { } limit ? new CancellationTokenSource(limit, context.Time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var watch = new Watch(context, id, Until, Output);
        try
        {
            var outcome = await WatchAsync(context, watch, linked.Token);
            return outcome;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var now = watch.Last is null ? "" : $" (it is {watch.Last.Status})";
            context.Error.WriteLine($"error: timed out after {Age.Format(Timeout!.Value)} waiting for task {id} to be {Until}{now}");
            return 1;
        }
    }

    private async Task<int> WatchAsync(CliContext context, Watch watch, CancellationToken ct)
    {
        var client = context.Client;
        if (watch.Observe(await client.GetTaskAsync(watch.Id, ct)) is { } first)
        {
            return first;
        }

        var streaming = true;
        string? lastEventId = null;
        while (true)
        {
            if (!streaming)
            {
                await Task.Delay(PollInterval, context.Time, ct);
                if (watch.Observe(await client.GetTaskAsync(watch.Id, ct)) is { } polled)
                {
                    return polled;
                }

                continue;
            }

            try
            {
                var frames = await client.OpenTaskEventsAsync(watch.Id, lastEventId, ct);
                if (frames is null)
                {
                    streaming = false; // this server has no task stream: poll
                    continue;
                }

                // The task may have moved between the first read and the subscription: look once more.
                if (watch.Observe(await client.GetTaskAsync(watch.Id, ct)) is { } caughtUp)
                {
                    return caughtUp;
                }

                await foreach (var frame in frames.WithCancellation(ct))
                {
                    // A reset's id is the server's head: events after the one we resumed from were pruned, so whatever
                    // they said about the task is read from the task itself (as is every frame that does not carry it).
                    lastEventId = frame.Id ?? lastEventId;
                    var task = (frame.Event == StreamEvents.Reset ? null : TaskFrom(frame, watch.Id)) ?? await client.GetTaskAsync(watch.Id, ct);
                    if (watch.Observe(task) is { } decided)
                    {
                        return decided;
                    }
                }
            }
            catch (Exception e) when (e is ServerApiException { IsNoAnswer: true } or HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                // The stream dropped (server restart, network): wait a moment and resume from the last event.
            }

            await Task.Delay(PollInterval, context.Time, ct);
        }
    }

    private static TaskDto? TaskFrom(SseFrame frame, string taskId)
    {
        try
        {
            var evt = JsonSerializer.Deserialize(frame.Data, ContractsJsonContext.Default.ServerEventDto);
            return evt?.Task is { } task && task.Id == taskId ? task : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Prints each status change and decides: reached (0), can never be reached (1), or keep waiting (null).</summary>
    private sealed class Watch(CliContext context, string id, string until, OutputFormat output)
    {
        public string Id { get; } = id;

        public TaskDto? Last { get; private set; }

        public int? Observe(TaskDto task)
        {
            var changed = Last is null || Last.Status != task.Status;
            Last = task;
            if (changed && (output is OutputFormat.Table or OutputFormat.Wide))
            {
                var pr = task.PrUrl is null ? "" : $" PR={task.PrUrl}";
                context.Out.WriteLine($"[{task.Status}] {task.Id} {task.Title}{pr}");
            }

            if (task.Status == until)
            {
                if (output is not (OutputFormat.Table or OutputFormat.Wide))
                {
                    ResourcePrinter.WriteOne(context.Out, new Resources.Views(context.Time.GetUtcNow()).Task, task, output);
                }

                return 0;
            }

            if (TaskStatusNames.TryParse(task.Status, out var status) && status.IsTerminal())
            {
                context.Error.WriteLine($"error: task {task.Id} is {task.Status}; it will never be {until}");
                return 1;
            }

            return null;
        }
    }
}
