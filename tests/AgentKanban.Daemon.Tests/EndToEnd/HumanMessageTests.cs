using AgentKanban.Contracts;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>A person's message on a task whose agent is busy reaches the agent with the prompt of its next launch, once.</summary>
public sealed class HumanMessageTests
{
    [Fact]
    public async Task A_message_posted_during_a_run_is_handed_over_with_the_resume_prompt_once()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("long job", "claim", "say under way now", "sleep-fresh 60000", "say finishing", "review", "result");
        var first = env.StartProcess();
        await Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Messages?.Any(m => m.Content == "under way now") == true, "the agent to be under way");

        // The agent is mid-run (the fake takes no input): the message waits on the server.
        await env.Server.PostAsync($"api/tasks/{task.Id}/messages", new MessageRequest("Please also update the README."),
            ContractsJsonContext.Default.MessageRequest, ContractsJsonContext.Default.MessageDto);
        await first.KillHardAsync();
        var second = env.StartProcess();
        await env.WaitForStatusAsync(task.Id, "in_review");

        // A rejection resumes the same session again: the message is not repeated.
        await env.Server.TransitionAsync(task.Id, "reject", "add a test");
        await Eventually.TrueAsync(() => Task.FromResult(env.InvocationsFor(task.Id).Count == 3), "the resume after the rejection");

        var runs = env.InvocationsFor(task.Id);
        Assert.DoesNotContain("README", runs[0].Prompt, StringComparison.Ordinal);
        Assert.StartsWith(Prompts.RestartResume, runs[1].Prompt, StringComparison.Ordinal);
        Assert.Contains("Please also update the README.", runs[1].Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("under way now", runs[1].Prompt, StringComparison.Ordinal);
        Assert.Contains("add a test", runs[2].Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("README", runs[2].Prompt, StringComparison.Ordinal);
        _ = second;
    }
}
