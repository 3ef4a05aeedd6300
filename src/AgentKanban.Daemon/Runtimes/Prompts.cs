using System.Text;
using AgentKanban.Contracts;

namespace AgentKanban.Daemon.Runtimes;

/// <summary>
/// What the daemon tells an agent: the work protocol (appended to the runtime's system prompt on every
/// launch, resumes included), the task itself, and the non-empty prompts it resumes with.
/// </summary>
public static class Prompts
{
    public const string RateLimitResume =
        "The rate-limit window has reset. Continue working on the task where you left off.";

    public const string RestartResume =
        "Your previous run was interrupted because the machine's agent daemon restarted. Continue working on the task " +
        "where you left off. If `ak task claim` has not succeeded yet (or the task is back in todo), claim it first.";

    public static string TransientResume(string reason) =>
        $"Your previous run was interrupted ({reason}). Continue working on the task where you left off.";

    public static string Rejected(string? reason) =>
        $"Task rejected. Reason: {(string.IsNullOrWhiteSpace(reason) ? "No reason provided" : reason)}\n\n" +
        "Please fix the issues and submit for review again with `ak task review`.";

    /// <summary>A prompt followed by the messages people posted on the task since the agent last heard from them.</summary>
    public static string WithMessages(string prompt, IReadOnlyList<MessageDto> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            return prompt;
        }

        var text = new StringBuilder(prompt.TrimEnd());
        text.AppendLine().AppendLine();
        text.AppendLine(messages.Count == 1
            ? "A person posted this message on the task since you last heard from it; take it into account:"
            : "People posted these messages on the task since you last heard from it; take them into account:");
        foreach (var message in messages)
        {
            text.AppendLine();
            text.Append('[').Append(message.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", global::System.Globalization.CultureInfo.InvariantCulture)).AppendLine("]");
            text.AppendLine(message.Content.Trim());
        }

        return text.ToString();
    }

    /// <summary>The work protocol, plus the agent's own instructions when it has some.</summary>
    public static string System(AgentDto? agent, bool hasRepository)
    {
        var text = new StringBuilder();
        text.AppendLine("# Agent Kanban work protocol");
        text.AppendLine();
        text.AppendLine("You are an autonomous agent working on one task from an Agent Kanban board. The `ak` command line is on your PATH");
        text.AppendLine("and already knows your identity and task (AK_TASK_ID); use it to drive the task:");
        text.AppendLine();
        text.AppendLine("1. Claim the task first: `ak task claim`. If the claim fails, stop and explain why.");
        text.AppendLine("2. Log progress as you go: `ak task note \"what you did and why\"`.");
        if (hasRepository)
        {
            text.AppendLine("3. Your working directory is a git worktree on a branch made for this task. Commit your work there");
            text.AppendLine("   (`git add` + `git commit`) before you ask for review; never work outside it.");
        }
        else
        {
            text.AppendLine("3. Your working directory is a private scratch directory for this task (no repository).");
        }

        text.AppendLine("4. When the task is done, ask for review as your LAST action: `ak task review` (add `--pr-url URL` if you opened one).");
        text.AppendLine("5. Never complete or cancel the task yourself; a reviewer does that.");
        if (agent is not null)
        {
            text.AppendLine();
            text.Append("You are ").Append(agent.Name ?? agent.Username);
            if (!string.IsNullOrWhiteSpace(agent.Role))
            {
                text.Append(", role: ").Append(agent.Role);
            }

            text.AppendLine(".");
            if (!string.IsNullOrWhiteSpace(agent.Instructions))
            {
                text.AppendLine();
                text.AppendLine(agent.Instructions);
            }
        }

        return text.ToString();
    }

    /// <summary>The first prompt of a session: the task.</summary>
    public static string Task(TaskDto task, string? repositoryUrl, string? branch)
    {
        ArgumentNullException.ThrowIfNull(task);
        var text = new StringBuilder();
        text.Append("Task ID: ").AppendLine(task.Id);
        text.Append("Title: ").AppendLine(task.Title);
        if (!string.IsNullOrWhiteSpace(task.Description))
        {
            text.AppendLine("Description:");
            text.AppendLine(task.Description);
        }

        if (task.Labels.Count > 0)
        {
            text.Append("Labels: ").AppendLine(string.Join(", ", task.Labels));
        }

        if (repositoryUrl is not null)
        {
            text.Append("Repository: ").AppendLine(repositoryUrl);
        }

        if (branch is not null)
        {
            text.Append("Branch: ").AppendLine(branch);
        }

        text.Append("Board: ").AppendLine(task.BoardId);
        return text.ToString();
    }
}
