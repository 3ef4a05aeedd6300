using AgentKanban.IntegrationTests.FakeAnthropic;
using AgentKanban.IntegrationTests.Support;

namespace AgentKanban.IntegrationTests.RealCli;

[Collection(RealCliCollection.Name)]
public sealed class ResumeTests
{
    [Fact]
    public async Task Resume_sends_the_earlier_conversation_and_the_new_prompt_under_the_same_session_id()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var sessionId = Guid.NewGuid();
        sandbox.Api.Enqueue(FakeReply.Bash("echo one > first.txt"), FakeReply.Text("First part done."));
        var first = await sandbox.RunAsync(sandbox.Options("Do the first part") with { SessionId = sessionId }, ct);
        Assert.True(first.ExitCode == 0, first.ToString());
        var callsBefore = sandbox.Api.ModelRequests.Count;

        sandbox.Api.Enqueue(FakeReply.Text("Second part done."));
        var second = await sandbox.RunAsync(sandbox.Options("continue") with { ResumeSessionId = sessionId }, ct);

        Assert.True(second.ExitCode == 0, second.ToString());
        var init = Assert.Single(second.OfType("system"), m => (string?)m["subtype"] == "init");
        Assert.Equal(sessionId.ToString(), (string?)init["session_id"]);
        Assert.Equal(sessionId.ToString(), (string?)second.Result["session_id"]);
        Assert.Equal("Second part done.", (string?)second.Result["result"]);

        var resumed = Assert.Single(sandbox.Api.ModelRequests.Skip(callsBefore));
        Assert.Equal(sessionId.ToString(), resumed.SessionId);
        Assert.Contains(resumed.UserTexts, t => t.Trim() == "Do the first part");
        Assert.Equal("continue", resumed.LastUserText);
        Assert.Contains(resumed.ToolUses, b => (string?)b["input"]?["command"] == "echo one > first.txt");
        Assert.Single(resumed.ToolResults);
        Assert.Contains(resumed.Messages, m => m.Role == "assistant" && m.Texts.Contains("First part done."));
    }

    [Fact]
    public async Task Resume_after_a_rate_limit_replays_the_original_prompt_and_finishes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var sessionId = Guid.NewGuid();
        sandbox.Api.Enqueue(FakeReply.RateLimited(TimeProvider.System.GetUtcNow().AddSeconds(3)));
        var limited = await sandbox.RunAsync(sandbox.Options("Write the report") with { SessionId = sessionId }, ct);
        Assert.True(limited.ExitCode == 1, limited.ToString());

        sandbox.Api.Enqueue(FakeReply.Bash("echo done > report.txt"), FakeReply.Text("Report written."));
        var resumed = await sandbox.RunAsync(sandbox.Options("The rate limit has reset. Continue the task.") with { ResumeSessionId = sessionId }, ct);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.True(File.Exists(Path.Combine(sandbox.WorkingDirectory, "report.txt")));
        var requests = sandbox.Api.ModelRequests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(sessionId.ToString(), r.SessionId));

        // The rejected call left no assistant turn behind: the resumed call carries the original
        // prompt followed by the resume prompt (the CLI folds both into one user message).
        var firstResumed = requests[1];
        Assert.Contains(firstResumed.UserTexts, t => t.Trim() == "Write the report");
        Assert.Equal("The rate limit has reset. Continue the task.", firstResumed.LastUserText);
        Assert.DoesNotContain(firstResumed.Messages, m => m.Role == "assistant");
    }

    [Fact]
    public async Task A_run_killed_while_waiting_for_the_model_resumes_from_its_last_completed_step()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var sessionId = Guid.NewGuid();
        sandbox.Api.Enqueue(FakeReply.Bash("echo step > step.txt"), FakeReply.Hang());
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hanging = sandbox.Api.WaitForRequestAsync(r => r.HasTools && r.ToolResults.Any(), ct);

        var killed = sandbox.RunAsync(sandbox.Options("Do two steps") with { SessionId = sessionId }, kill.Token);
        await hanging;
        await kill.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => killed);

        var callsBefore = sandbox.Api.ModelRequests.Count;
        sandbox.Api.Enqueue(FakeReply.Text("Both steps done."));
        var resumed = await sandbox.RunAsync(sandbox.Options("continue") with { ResumeSessionId = sessionId }, ct);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var request = Assert.Single(sandbox.Api.ModelRequests.Skip(callsBefore));
        Assert.Equal(sessionId.ToString(), request.SessionId);
        Assert.Contains(request.UserTexts, t => t.Trim() == "Do two steps");
        Assert.Contains(request.ToolUses, b => (string?)b["input"]?["command"] == "echo step > step.txt");
        Assert.Single(request.ToolResults);
        Assert.Equal("continue", request.LastUserText);
    }

    [Fact]
    public async Task A_session_id_can_start_only_once_and_an_unknown_one_cannot_be_resumed()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sandbox = await ClaudeSandbox.CreateAsync(ct);
        var sessionId = Guid.NewGuid();
        var first = await sandbox.RunAsync(sandbox.Options("Hello") with { SessionId = sessionId }, ct);
        Assert.True(first.ExitCode == 0, first.ToString());

        var again = await sandbox.RunAsync(sandbox.Options("Hello again") with { SessionId = sessionId }, ct);
        var unknown = await sandbox.RunAsync(sandbox.Options("continue") with { ResumeSessionId = Guid.NewGuid() }, ct);

        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains($"Session ID {sessionId} is already in use", again.Stderr + string.Join('\n', again.StdoutLines), StringComparison.Ordinal);
        Assert.True(unknown.ExitCode == 1, unknown.ToString());
        Assert.Contains("No conversation found with session ID", unknown.Stderr + string.Join('\n', unknown.StdoutLines), StringComparison.Ordinal);
        Assert.True((bool?)unknown.Result["is_error"]);
        Assert.Single(sandbox.Api.ModelRequests);
    }
}
