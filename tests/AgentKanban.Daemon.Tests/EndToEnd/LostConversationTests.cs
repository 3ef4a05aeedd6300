using AgentKanban.Contracts;
using AgentKanban.Core.Sessions;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// A resume the runtime answers with "No conversation found" (its session files were lost, say) does not release the
/// task: the session starts one new conversation whose prompt carries the task and what happened on it so far. If that
/// fresh start fails too, the usual failure rules apply.
/// </summary>
public sealed class LostConversationTests
{
    [Fact]
    public async Task A_resume_without_a_conversation_starts_a_fresh_one_that_is_told_what_happened_so_far()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("parser", "claim",
            "run 1: note the parser handles nested lists", "run 1: say parser done, tests are next", "run 1: rate-limit 2",
            "run 2: lost-conversation",
            "run 3: review", "run 3: result");
        await env.StartInProcessAsync();
        await Eventually.TrueAsync(async () => (await StoreReader.SessionsAsync(env.StateDir))
            .Any(s => s.TaskId == task.Id && s.State == SessionState.RateLimited), "the first run to be rate limited");
        await env.Server.PostAsync($"api/tasks/{task.Id}/messages", new MessageRequest("Please cover empty lists too."),
            ContractsJsonContext.Default.MessageRequest, ContractsJsonContext.Default.MessageDto);

        await env.WaitForStatusAsync(task.Id, "in_review");

        var runs = env.InvocationsFor(task.Id);
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal(runs[0].AkSessionId, r.AkSessionId));
        Assert.False(runs[0].Resume);
        Assert.True(runs[1].Resume);
        Assert.Equal(runs[0].ProviderSessionId, runs[1].ProviderSessionId);
        // The fresh start: a new conversation under a new id, with the work protocol and the task.
        Assert.False(runs[2].Resume);
        Assert.NotEqual(runs[0].ProviderSessionId, runs[2].ProviderSessionId);
        Assert.True(runs[2].HasSystemPrompt);
        var prompt = runs[2].Prompt!;
        Assert.Contains("Task ID: " + task.Id, prompt, StringComparison.Ordinal);
        // ... and what happened so far: the agent's note and message, the person's message, and what the lost run was for.
        Assert.Contains("the parser handles nested lists", prompt, StringComparison.Ordinal);
        Assert.Contains("parser done, tests are next", prompt, StringComparison.Ordinal);
        Assert.Contains("Please cover empty lists too.", prompt, StringComparison.Ordinal);
        Assert.Contains(Prompts.RateLimitResume, prompt, StringComparison.Ordinal);
        Assert.DoesNotContain((await env.Server.GetTaskAsync(task.Id)).Activity ?? [], a => a.Action == "released");
    }

    [Fact]
    public async Task A_fresh_start_that_fails_as_well_is_released_like_any_failed_run()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("parser", "claim", "run 1: rate-limit 2", "run 2: lost-conversation", "run 3: exit 3", "review", "result");
        await env.StartInProcessAsync();

        var released = await Eventually.WaitAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Activity?.FirstOrDefault(a => a.Action == "released"), "the task to be released");

        Assert.Contains("agent exited with an error", released.Detail, StringComparison.Ordinal);
        var runs = env.InvocationsFor(task.Id);
        var session = runs[0].AkSessionId;
        // One fresh start, no more: the session that lost its conversation ran three times in all.
        Assert.Equal(3, runs.Count(r => r.AkSessionId == session));
        Assert.Equal([false, true, false], runs.Take(3).Select(r => r.Resume));
        await Eventually.TrueAsync(async () => (await StoreReader.SessionsAsync(env.StateDir)).Single(s => s.Id == session).State == SessionState.Closed,
            "the session to be closed");
    }
}
