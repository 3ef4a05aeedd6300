using AgentKanban.Contracts;
using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;
using Microsoft.Data.Sqlite;

namespace AgentKanban.IntegrationTests.DaemonRealCli;

/// <summary>
/// Live chat with the real Claude Code CLI under <c>ak daemon run</c>: a message a person posts on the task while the
/// agent runs a slow tool call reaches the model in its next request of the same run (the CLI shows it as a message the
/// user sent meanwhile), and the agent's words after it reach the task as its messages. Also prints how long a message
/// takes from being posted to the model's next request (not asserted: timing is the machine's).
/// </summary>
[Collection(RealCliCollection.Name)]
public sealed class LiveMessagesWithRealCliTests
{
    private const int Messages = 10;

    [Fact]
    public async Task Messages_posted_during_slow_tool_calls_reach_the_next_model_request_of_the_same_run()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var env = await RealDaemonEnvironment.CreateAsync(ct);
        // Step 0 claims; steps 1..N each run a slow Bash call (the first one 5 s) during which the test posts message k;
        // then review and a last word.
        var steps = new List<FakeReply> { ScriptedAgent.Bash("Claiming.", "ak task claim") };
        for (var k = 1; k <= Messages; k++)
        {
            steps.Add(ScriptedAgent.Bash(k == 1 ? "Running the slow step." : $"Got message {k - 1}, going on.", k == 1 ? "sleep 5" : "sleep 2"));
        }

        steps.Add(ScriptedAgent.Bash($"Got message {Messages}, asking for review.", "ak task review"));
        steps.Add(FakeReply.Text("Done."));
        var script = new ScriptedAgent([.. steps]);
        var task = await env.CreateTaskAsync("slow steps", script);
        env.StartDaemon();

        var latencies = new List<TimeSpan>();
        var posted = new List<(string Id, DateTimeOffset At)>();
        for (var k = 1; k <= Messages; k++)
        {
            // The request answered with step k (k assistant turns before it): its Bash call starts as the CLI reads the answer.
            var step = k;
            await env.WaitAsync(() => Task.FromResult(script.Calls().FirstOrDefault(c => Step(c) == step)), $"the model call for step {k}");
            var text = $"Message {k} from a person: also check file-{k}.txt";
            var postedAt = TimeProvider.System.GetUtcNow();
            var message = await env.Server.PostAsync($"api/tasks/{task.Id}/messages", new MessageRequest(text),
                ContractsJsonContext.Default.MessageRequest, ContractsJsonContext.Default.MessageDto);
            posted.Add((message.Id, postedAt));

            // The very next model call (step k + 1) carries it.
            var next = await env.WaitAsync(() => Task.FromResult(script.Calls().FirstOrDefault(c => Step(c) == step + 1)), $"the model call after step {k}");
            Assert.True(AllTexts(next).Any(t => t.Contains(text, StringComparison.Ordinal)),
                $"message {k} is not in the next model request: {string.Join(" | ", next.Messages.TakeLast(3).SelectMany(m => m.Texts))}");
            latencies.Add(next.ReceivedAt - postedAt);
        }

        await env.WaitForStatusAsync(task.Id, "in_review");
        var calls = await env.WaitAsync(() => Task.FromResult(script.Calls() is { Count: >= Messages + 3 } all ? all : null), "the final turn");

        // One run: one CLI session, one launch, each message in exactly the requests from its delivery on (never twice in one).
        Assert.Single(calls.Select(c => c.SessionId).Distinct());
        Assert.Equal(1, await LaunchesAsync(env, task.Id));
        foreach (var call in calls)
        {
            for (var k = 1; k <= Messages; k++)
            {
                Assert.True(AllTexts(call).Count(t => t.Contains($"Message {k} from a person", StringComparison.Ordinal)) <= 1, $"message {k} twice in {call}");
            }
        }

        // What the agent said after the messages reaches the task as its messages; the people's messages are recorded as delivered.
        await env.WaitAsync(async () =>
        {
            var messages = await env.Server.GetAsync($"api/tasks/{task.Id}/messages", ContractsJsonContext.Default.ListMessageDto);
            return messages.Any(m => m.Content == "Got message 1, going on." && m.SenderType == "agent")
                && messages.Any(m => m.Content == "Done." && m.SenderType == "agent") ? messages : null;
        }, "the agent's words after the messages");
        Assert.Equal(Messages, await DeliveredAsync(env));

        // The daemon's part, from its log (millisecond timestamps): posted -> written to the agent's stdin.
        var log = await File.ReadAllLinesAsync(Path.Combine(env.StateDir, "logs", "daemon.log"), ct);
        var toStdin = posted
            .Select(p => log.FirstOrDefault(l => l.Contains($"message {p.Id} written to the running agent's input", StringComparison.Ordinal)) is { } line
                ? LogTime(line) - p.At
                : (TimeSpan?)null)
            .OfType<TimeSpan>()
            .ToList();
        Report("posted -> written to the agent's stdin (daemon log)", toStdin);
        Report("posted -> in the model's next request (each posted as a 2-5 s Bash call starts: the tool's remaining time is included)", latencies);
    }

    private static void Report(string what, List<TimeSpan> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        var sorted = values.Order().ToList();
        var line = $"LIVE-MESSAGE {what}, {sorted.Count} messages: p50 {Percentile(sorted, 0.50).TotalMilliseconds:F0} ms, " +
            $"p95 {Percentile(sorted, 0.95).TotalMilliseconds:F0} ms, max {sorted[^1].TotalMilliseconds:F0} ms " +
            $"[{string.Join(", ", values.Select(v => v.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))}]";
        TestContext.Current.SendDiagnosticMessage(line);
        Console.WriteLine(line);
    }

    private static DateTimeOffset LogTime(string line) =>
        DateTimeOffset.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);

    private static int Step(RecordedRequest request) => request.Messages.Count(m => m.Role == "assistant");

    private static IEnumerable<string> AllTexts(RecordedRequest request) => request.Messages.SelectMany(m => m.Texts);

    private static TimeSpan Percentile(List<TimeSpan> sorted, double p) => sorted[(int)Math.Ceiling(p * sorted.Count) - 1];

    private static async Task<long> LaunchesAsync(RealDaemonEnvironment env, string taskId)
    {
        await using var connection = await OpenStoreAsync(env);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT launches FROM sessions WHERE task_id = $task";
        command.Parameters.AddWithValue("$task", taskId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> DeliveredAsync(RealDaemonEnvironment env)
    {
        await using var connection = await OpenStoreAsync(env);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM delivered_messages";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<SqliteConnection> OpenStoreAsync(RealDaemonEnvironment env)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(env.StateDir, "daemon.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false,
        }.ToString());
        await connection.OpenAsync();
        return connection;
    }
}
