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

    /// <summary>
    /// A person's message handed to the agent while it works (live input). Claude Code shows it to the model as a message
    /// the user sent meanwhile; this says where it comes from and that the answer goes on the task.
    /// </summary>
    public static string LiveMessage(MessageDto message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return "A person posted this message on the task while you were working; take it into account (your reply reaches them on the task):\n\n"
            + message.Content.Trim();
    }

    /// <summary>Most of the task's history a fresh start carries (the latest entries; older ones are summarised by a count).</summary>
    public const int MaxHistoryChars = 24_000;

    /// <summary>Longest text of one history entry (a note, a message) before it is cut.</summary>
    public const int MaxHistoryEntryChars = 2_000;

    /// <summary>
    /// The first prompt of a new conversation for a session that worked before but whose conversation the runtime lost:
    /// the task, a word on why the agent starts over, what happened on the task so far (its activity and messages, as
    /// <paramref name="task"/> shows them, oldest first, without <paramref name="pending"/>, which follow the prompt as
    /// new), and what this launch was going to say to the old conversation.
    /// </summary>
    public static string FreshStart(string taskPrompt, TaskDto? task, IReadOnlyList<MessageDto> pending, string launchPrompt)
    {
        ArgumentNullException.ThrowIfNull(pending);
        var text = new StringBuilder(taskPrompt.TrimEnd());
        text.AppendLine().AppendLine();
        text.AppendLine("You worked on this task before, in a conversation that cannot be continued (the agent runtime does not have it),");
        text.AppendLine("so this is a new one. Your working directory still holds what the earlier work left there: look at it first");
        text.AppendLine("(in a repository: `git status`, `git log`) and go on from there rather than starting over.");
        text.AppendLine();
        if (task is null)
        {
            text.AppendLine("What happened on the task so far could not be read from the board; `ak describe task $AK_TASK_ID` shows it.");
        }
        else
        {
            var history = History(task, pending);
            if (history.Count == 0)
            {
                text.AppendLine("Nothing was recorded on the task yet.");
            }
            else
            {
                var kept = Latest(history, MaxHistoryChars);
                text.AppendLine("What happened on the task so far, oldest first:");
                if (kept < history.Count)
                {
                    text.Append('(').Append(history.Count - kept).AppendLine(" earlier entries left out)");
                }

                foreach (var (_, line) in history.Skip(history.Count - kept))
                {
                    text.AppendLine(line);
                }
            }
        }

        if (!string.IsNullOrWhiteSpace(launchPrompt))
        {
            text.AppendLine();
            text.AppendLine("This start was meant to continue the earlier conversation with:");
            text.AppendLine(launchPrompt.Trim());
        }

        return text.ToString();
    }

    /// <summary>The task's activity and messages as one list of lines, oldest first.</summary>
    private static List<(DateTimeOffset At, string Line)> History(TaskDto task, IReadOnlyList<MessageDto> pending)
    {
        var leaveOut = pending.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var entries = new List<(DateTimeOffset, string)>();
        foreach (var activity in task.Activity ?? [])
        {
            var what = activity.Action == "commented" ? "note" : activity.Action.Replace('_', ' ');
            var detail = string.IsNullOrWhiteSpace(activity.Detail) ? string.Empty : ": " + Cut(activity.Detail);
            entries.Add((activity.CreatedAt, $"[{Stamp(activity.CreatedAt)}] {what} by {activity.ActorType}{detail}"));
        }

        foreach (var message in task.Messages ?? [])
        {
            if (!leaveOut.Contains(message.Id))
            {
                entries.Add((message.CreatedAt, $"[{Stamp(message.CreatedAt)}] message from {message.SenderType}: {Cut(message.Content)}"));
            }
        }

        // Stable: entries at the same instant keep activity before messages, each in the server's order.
        return [.. entries.OrderBy(e => e.Item1)];
    }

    /// <summary>How many of the newest lines fit in <paramref name="budget"/> characters (at least one).</summary>
    private static int Latest(List<(DateTimeOffset At, string Line)> lines, int budget)
    {
        var used = 0;
        var count = 0;
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            used += lines[i].Line.Length + 1;
            if (used > budget && count > 0)
            {
                break;
            }

            count++;
        }

        return count;
    }

    private static string Cut(string text)
    {
        var flat = text.Trim().ReplaceLineEndings(" ");
        return flat.Length <= MaxHistoryEntryChars ? flat : flat[..MaxHistoryEntryChars] + " …";
    }

    private static string Stamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", global::System.Globalization.CultureInfo.InvariantCulture);

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
            text.AppendLine("3. Your working directory is a git worktree on a branch made for this task (the task prompt names it). Commit");
            text.AppendLine("   your work there (`git add` + `git commit`); never work outside it. Then push the branch: `git push` (its");
            text.AppendLine("   upstream is set to the same branch on origin; `git push -u origin HEAD` works too). Where origin is on GitHub");
            text.AppendLine("   and the `gh` command is available, open a pull request for the branch (`gh pr create --fill`) and pass its URL");
            text.AppendLine("   when you ask for review: `ak task review --pr-url URL`.");
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
            text.Append("Branch: ").Append(branch).AppendLine(" (your worktree is on it; commit here and push it to origin)");
        }

        text.Append("Board: ").AppendLine(task.BoardId);
        return text.ToString();
    }
}
