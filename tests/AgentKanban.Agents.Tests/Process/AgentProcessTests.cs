using System.Text;
using System.Text.Json;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Process;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.Process;

public sealed class AgentProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Reads_every_line_to_the_end_and_reports_the_exit_code()
    {
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "line", "one", "line", "two", "partial", "last", "exit", "3"));

        var lines = await Processes.ReadAllAsync(process);
        var exit = await process.Exited.WaitAsync(Processes.Patience, Ct);

        Assert.Equal(["one", "two", "last"], lines.Select(Processes.Text));
        Assert.Equal([1L, 2L, 3L], lines.Select(l => l.Number));
        Assert.Equal(new ProcessExit(3, null, false), exit);
        Assert.False(exit.Succeeded);
        Assert.False(process.OutputAbandoned);
    }

    [Fact]
    public async Task Passes_exactly_the_given_environment_and_working_directory()
    {
        Environment.SetEnvironmentVariable("AK_TEST_LEAK", "from-the-test-host");
        var options = FakeAgentCli.Options(_dir.Path, "env", "AK_SESSION_ID", "AK_TEST_LEAK", "HOME", "cwd");
        var env = new Dictionary<string, string>(options.Environment) { ["AK_SESSION_ID"] = "s-123" };

        await using var process = AgentProcess.Start(options with { Environment = env });
        var lines = await Processes.ReadAllAsync(process);

        using var vars = JsonDocument.Parse(lines[0].Bytes);
        var reported = vars.RootElement.GetProperty("vars");
        Assert.Equal("s-123", reported.GetProperty("AK_SESSION_ID").GetString());
        Assert.Equal(JsonValueKind.Null, reported.GetProperty("AK_TEST_LEAK").ValueKind);
        Assert.Equal(JsonValueKind.Null, reported.GetProperty("HOME").ValueKind);
        using var cwd = JsonDocument.Parse(lines[1].Bytes);
        Assert.Equal(Path.GetFullPath(_dir.Path), cwd.RootElement.GetProperty("cwd").GetString());
        Assert.True((await process.Exited).Succeeded);
    }

    [Fact]
    public async Task Garbage_is_reported_and_skipped_never_fatal()
    {
        var valid = """{"type":"assistant","message":{"content":[{"type":"text","text":"still here"}]}}""";
        var options = FakeAgentCli.Options(_dir.Path, "malformed", "binary", "100", "huge", "20", "line", valid, "exit", "0");

        await using var process = AgentProcess.Start(options);
        var lines = await Processes.ReadAllAsync(process);

        Assert.Equal([OutputLineKind.Line, OutputLineKind.InvalidUtf8, OutputLineKind.TooLong, OutputLineKind.Line], lines.Select(l => l.Kind));
        Assert.Equal(100, lines[1].Length);
        Assert.True(lines[2].Length > 20 * 1024 * 1024, "the dropped line's length is reported");
        Assert.True(lines[2].Bytes.IsEmpty);

        var parser = new ClaudeStreamJsonParser();
        var events = new List<AgentEvent>();
        Assert.Equal(LineReason.Malformed, parser.Parse(lines[0].Bytes.Span, events).Reason);
        parser.Parse(lines[3].Bytes.Span, events);
        Assert.Equal([TurnStarted.Instance, new TextBlock("still here")], events);
        Assert.True((await process.Exited).Succeeded);
    }

    [Fact]
    public async Task Stop_sends_sigterm_to_a_process_that_honours_it()
    {
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "line", "ready", "hang"));
        await WaitForFirstLineAsync(process);

        var result = await process.StopAsync(TimeSpan.FromSeconds(30), Ct).WaitAsync(Processes.Patience, Ct);

        Assert.False(result.Escalated);
        Assert.False(result.AlreadyExited);
        Assert.False(result.Exit.Succeeded);
        Assert.True(result.Exit.Signal == 15 || result.Exit.ExitCode == 143, result.Exit.ToString());
        Assert.False(process.GroupExists);
    }

    [Fact]
    public async Task Stop_escalates_to_sigkill_when_sigterm_is_ignored()
    {
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "ignore-sigterm", "line", "ready", "hang"));
        await WaitForFirstLineAsync(process);

        var result = await process.StopAsync(TimeSpan.FromMilliseconds(500), Ct).WaitAsync(Processes.Patience, Ct);

        Assert.True(result.Escalated);
        Assert.Equal(new ProcessExit(null, 9, false), result.Exit);
        Assert.Equal("killed by signal 9", result.Exit.ToString());
        Assert.False(process.GroupExists);
    }

    [Fact]
    public async Task Stop_reaches_a_grandchild_in_the_group()
    {
        var pidFile = _dir.File("grandchild.pid");
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "grandchild", pidFile, "line", "ready", "hang"));
        var grandchild = await Processes.ReadPidFileAsync(pidFile);
        await WaitForFirstLineAsync(process);
        Assert.True(Processes.IsAlive(grandchild));

        // The grandchild ignores SIGTERM: only the group SIGKILL after the grace period ends it.
        var result = await process.StopAsync(TimeSpan.FromMilliseconds(500), Ct).WaitAsync(Processes.Patience, Ct);

        Assert.True(result.Escalated);
        await Processes.WaitUntilAsync(() => !Processes.IsAlive(grandchild), "grandchild killed with the group");
        await process.OutputCompleted.WaitAsync(Processes.Patience, Ct);
        Assert.False(process.OutputAbandoned);
    }

    [Fact]
    public async Task A_helper_holding_the_pipe_does_not_keep_the_reader_waiting_after_exit()
    {
        var pidFile = _dir.File("helper.pid");
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "grandchild", pidFile, "wait-file", pidFile, "line", "bye", "exit", "0"));
        var helper = await Processes.ReadPidFileAsync(pidFile);

        var lines = await Processes.ReadAllAsync(process);

        Assert.Equal(["bye"], lines.Select(Processes.Text));
        Assert.True((await process.Exited).Succeeded);
        // The helper was a leftover in the agent's group: killed once the drain timeout passed, so the pipe closed.
        await Processes.WaitUntilAsync(() => !Processes.IsAlive(helper), "lingering helper killed");
        Assert.False(process.OutputAbandoned);
    }

    [Fact]
    public async Task A_helper_that_left_the_group_is_abandoned_not_waited_for()
    {
        var pidFile = _dir.File("escapee.pid");
        var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "escapee", pidFile, "wait-file", pidFile, "line", "bye", "exit", "0"));
        var escapee = await Processes.ReadPidFileAsync(pidFile);
        try
        {
            var lines = await Processes.ReadAllAsync(process);

            Assert.Equal(["bye"], lines.Select(Processes.Text));
            await process.OutputCompleted.WaitAsync(Processes.Patience, Ct);
            Assert.True(process.OutputAbandoned);
            Assert.True(Processes.IsAlive(escapee), "outside the group, so out of reach of the group kill");
        }
        finally
        {
            Processes.KillQuietly(escapee);
            await process.DisposeAsync();
        }
    }

    [Fact]
    public async Task Stop_after_exit_still_reaches_leftovers()
    {
        var pidFile = _dir.File("leftover.pid");
        var options = FakeAgentCli.Options(_dir.Path, "grandchild", pidFile, "wait-file", pidFile, "exit", "0") with { DrainTimeout = TimeSpan.FromMinutes(5) };
        await using var process = AgentProcess.Start(options);
        var leftover = await Processes.ReadPidFileAsync(pidFile);
        await process.Exited.WaitAsync(Processes.Patience, Ct);
        Assert.True(process.GroupExists);

        var result = await process.StopAsync(TimeSpan.FromMilliseconds(300), Ct).WaitAsync(Processes.Patience, Ct);

        Assert.True(result.AlreadyExited);
        Assert.True(result.Escalated);
        await Processes.WaitUntilAsync(() => !Processes.IsAlive(leftover), "leftover killed");
        await process.OutputCompleted.WaitAsync(Processes.Patience, Ct);
    }

    [Fact]
    public async Task A_process_killed_by_a_signal_reports_the_signal()
    {
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "line", "x", "kill-self"));

        var exit = await process.Exited.WaitAsync(Processes.Patience, Ct);

        Assert.Equal(9, exit.Signal);
        Assert.Null(exit.ExitCode);
    }

    [Fact]
    public async Task Standard_input_is_written_then_closed()
    {
        var input = ClaudeArgs.StreamJsonUserMessage("hello from stdin", "s-1");
        var options = FakeAgentCli.Options(_dir.Path, "echo-stdin") with { StandardInput = input };

        await using var process = AgentProcess.Start(options);
        var lines = await Processes.ReadAllAsync(process);

        Assert.Equal(Encoding.UTF8.GetString(input).TrimEnd('\n'), Processes.Text(Assert.Single(lines)));
        Assert.True((await process.Exited).Succeeded);
    }

    [Fact]
    public async Task Keeps_only_the_tail_of_stderr()
    {
        var options = FakeAgentCli.Options(_dir.Path, "stderr-bulk", "64", "stderr", "the last words") with { StderrTailBytes = 1024 };

        await using var process = AgentProcess.Start(options);
        await Processes.ReadAllAsync(process);
        await process.OutputCompleted.WaitAsync(Processes.Patience, Ct);

        var tail = process.StandardErrorTail;
        Assert.True(Encoding.UTF8.GetByteCount(tail) <= 1024);
        Assert.EndsWith("the last words\n", tail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_is_bounded_while_the_consumer_is_behind()
    {
        var transcript = _dir.File("many.jsonl");
        // 2000 lines of 500 bytes: far more than a pipe holds, so the child must wait for the consumer.
        var expected = Enumerable.Range(1, 2000).Select(i => $"line {i} {new string('x', 490)}").ToArray();
        await File.WriteAllLinesAsync(transcript, expected, Ct);
        var options = FakeAgentCli.Options(_dir.Path, "replay", transcript) with { MaxBufferedLines = 8 };

        await using var process = AgentProcess.Start(options);
        await Processes.WaitUntilAsync(() => process.Output.Count == 8, "buffer filled");
        await Task.Delay(200, Ct);
        Assert.Equal(8, process.Output.Count);
        Assert.False(process.Exited.IsCompleted, "the child is held back by the full pipe, not buffered in memory");

        var lines = await Processes.ReadAllAsync(process);
        Assert.Equal(expected, lines.Select(Processes.Text));
        Assert.True((await process.Exited).Succeeded);
    }

    [Fact]
    public async Task Dispose_stops_a_running_process_group()
    {
        var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "line", "ready", "hang"));
        await WaitForFirstLineAsync(process);
        var pid = process.ProcessId;

        await process.DisposeAsync().AsTask().WaitAsync(Processes.Patience, Ct);

        Assert.True(process.Exited.IsCompleted);
        Assert.False(Processes.IsAlive(pid));
        Assert.True(process.Output.Completion.IsCompleted);
    }

    [Fact]
    public async Task Replays_a_transcript_through_process_and_parser()
    {
        var options = FakeAgentCli.Options(_dir.Path, "replay", Transcripts.PathOf("rate-limited-overage.jsonl"), "5", "exit", "1");
        await using var process = AgentProcess.Start(options);
        var parser = new ClaudeStreamJsonParser();
        var events = new List<AgentEvent>();

        foreach (var line in await Processes.ReadAllAsync(process))
        {
            Assert.Equal(OutputLineKind.Line, line.Kind);
            parser.Parse(line.Bytes.Span, events);
        }

        Assert.Equal(RateLimitStatus.Rejected, Assert.Single(events.OfType<RateLimitEvent>()).Status);
        Assert.True(Assert.Single(events.OfType<TurnEnded>()).IsError);
        Assert.Equal(1, (await process.Exited).ExitCode);
    }

    [Fact]
    public void Start_failures_are_reported_as_start_exceptions()
    {
        var missing = FakeAgentCli.Options(_dir.Path) with { Executable = "definitely-not-an-agent-cli" };
        Assert.Throws<AgentProcessStartException>(() => AgentProcess.Start(missing));

        var badDir = FakeAgentCli.Options(_dir.File("nope"));
        Assert.Throws<AgentProcessStartException>(() => AgentProcess.Start(badDir));

        var notExecutable = _dir.File("plain.txt");
        File.WriteAllText(notExecutable, "x");
        Assert.Throws<AgentProcessStartException>(() => AgentProcess.Start(FakeAgentCli.Options(_dir.Path) with { Executable = notExecutable }));
    }

    [Fact]
    public async Task Each_agent_leads_its_own_process_group_and_session()
    {
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "line", "ready", "hang"));
        await WaitForFirstLineAsync(process);

        var stat = await File.ReadAllTextAsync($"/proc/{process.ProcessId}/stat", Ct);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(process.ProcessId.ToString(), fields[2]); // pgrp
        Assert.Equal(process.ProcessId.ToString(), fields[3]); // session
        // Signals are reset for the agent even though the test host ignores some.
        var status = await File.ReadAllLinesAsync($"/proc/{process.ProcessId}/status", Ct);
        Assert.Contains(status, l => l.StartsWith("SigBlk:", StringComparison.Ordinal) && l.EndsWith("0000000000000000", StringComparison.Ordinal));
    }

    private static async Task WaitForFirstLineAsync(AgentProcess process)
    {
        using var timeout = new CancellationTokenSource(Processes.Patience);
        var line = await process.Output.ReadAsync(timeout.Token);
        Assert.Equal(OutputLineKind.Line, line.Kind);
    }
}
