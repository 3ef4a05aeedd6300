using AgentKanban.Contracts;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Tests.Infrastructure;

namespace AgentKanban.Daemon.Tests.EndToEnd;

/// <summary>
/// People's messages on a task: a running agent gets each one while it works (live input: a stream-json user message on
/// its stdin), its answer reaches the task, and a message reaches the agent once — across a daemon killed with SIGKILL
/// after the agent took it, and when the agent never took it before the crash (then the next launch hands it over).
/// </summary>
public sealed class HumanMessageTests
{
    private const string Readme = "Please also update the README.";

    [Fact]
    public async Task A_message_posted_while_the_agent_works_reaches_it_in_the_same_run_and_its_answer_reaches_the_task()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("long job", "claim", "say under way now", "wait-message", "review", "result");
        env.StartProcess();
        await WaitUnderWayAsync(env, task.Id);

        var posted = await PostAsync(env, task.Id, Readme);
        await env.WaitForStatusAsync(task.Id, "in_review");

        // One run: the message went to its stdin and into its conversation, once; nothing was left for a next launch.
        var runs = env.InvocationsFor(task.Id);
        Assert.Single(runs);
        Assert.Contains("long job", runs[0].Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain(Readme, runs[0].Prompt, StringComparison.Ordinal);
        Assert.Single(Marks(env, task.Id, "message-received"), m => m.Contains(Readme, StringComparison.Ordinal));
        Assert.Single(Marks(env, task.Id, "message-taken"), m => m.Contains(Readme, StringComparison.Ordinal));

        // The agent's answer is the agent's message on the task; the delivery is recorded for the session.
        await Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(task.Id)).Messages?.Any(m => m.Content == "Noted: " + Readme && m.SenderType == "agent") == true,
            "the agent's answer on the task");
        var session = (await StoreReader.SessionsAsync(env.StateDir)).Single(s => s.TaskId == task.Id);
        Assert.Equal([posted.Id], await StoreReader.DeliveredMessagesAsync(env.StateDir, session.Id));
    }

    [Fact]
    public async Task A_message_the_agent_took_before_the_daemon_was_killed_is_not_handed_over_again()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("long job", "claim", "say under way now", "run 1: wait-message", "run 1: hang", "review", "result");
        var first = env.StartProcess();
        await WaitUnderWayAsync(env, task.Id);

        var posted = await PostAsync(env, task.Id, Readme);
        var session = (await StoreReader.SessionsAsync(env.StateDir)).Single(s => s.TaskId == task.Id);
        await Eventually.TrueAsync(async () => (await StoreReader.DeliveredMessagesAsync(env.StateDir, session.Id)).Contains(posted.Id),
            "the delivery to be recorded");
        await first.KillHardAsync();

        env.StartProcess();
        await env.WaitForStatusAsync(task.Id, "in_review");
        var runs = env.InvocationsFor(task.Id);
        Assert.Equal(2, runs.Count);
        Assert.StartsWith(Prompts.RestartResume, runs[1].Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain(Readme, runs[1].Prompt, StringComparison.Ordinal);
        Assert.Single(Marks(env, task.Id, "message-received"));
        Assert.Single(Marks(env, task.Id, "message-taken"));
    }

    [Fact]
    public async Task A_message_written_to_the_agent_but_not_taken_before_a_crash_is_handed_over_with_the_next_prompt_once()
    {
        await using var env = await DaemonTestEnvironment.CreateAsync();
        var task = await env.CreateTaskAsync("long job", "claim", "say under way now", "sleep-fresh 60000", "say finishing", "review", "result");
        var first = env.StartProcess();
        await WaitUnderWayAsync(env, task.Id);

        // The agent is in a long step: the message is on its stdin, but its conversation has not taken it yet.
        await PostAsync(env, task.Id, Readme);
        await Eventually.TrueAsync(() => Task.FromResult(Marks(env, task.Id, "message-received").Count == 1), "the message on the agent's stdin");
        await first.KillHardAsync();
        env.StartProcess();
        await env.WaitForStatusAsync(task.Id, "in_review");

        // A rejection resumes the same session again: the message is not repeated.
        await env.Server.TransitionAsync(task.Id, "reject", "add a test");
        await Eventually.TrueAsync(() => Task.FromResult(env.InvocationsFor(task.Id).Count == 3), "the resume after the rejection");

        var runs = env.InvocationsFor(task.Id);
        Assert.DoesNotContain("README", runs[0].Prompt, StringComparison.Ordinal);
        Assert.StartsWith(Prompts.RestartResume, runs[1].Prompt, StringComparison.Ordinal);
        Assert.Contains(Readme, runs[1].Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("under way now", runs[1].Prompt, StringComparison.Ordinal);
        Assert.Contains("add a test", runs[2].Prompt, StringComparison.Ordinal);
        Assert.DoesNotContain("README", runs[2].Prompt, StringComparison.Ordinal);
        Assert.Empty(Marks(env, task.Id, "message-taken"));
        Assert.Single(Marks(env, task.Id, "message-received"));
    }

    private static Task WaitUnderWayAsync(DaemonTestEnvironment env, string taskId) =>
        Eventually.TrueAsync(async () =>
            (await env.Server.GetTaskAsync(taskId)).Messages?.Any(m => m.Content == "under way now") == true, "the agent to be under way");

    private static Task<MessageDto> PostAsync(DaemonTestEnvironment env, string taskId, string text) =>
        env.Server.PostAsync($"api/tasks/{taskId}/messages", new MessageRequest(text),
            ContractsJsonContext.Default.MessageRequest, ContractsJsonContext.Default.MessageDto);

    private static List<string> Marks(DaemonTestEnvironment env, string taskId, string kind) =>
        env.Marks().Where(m => m.TaskId == taskId && m.Mark.StartsWith(kind + " ", StringComparison.Ordinal)).Select(m => m.Mark).ToList();
}
