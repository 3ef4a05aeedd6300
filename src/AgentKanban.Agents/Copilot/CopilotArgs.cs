using System.Text;

namespace AgentKanban.Agents.Copilot;

/// <summary>
/// Builds the Copilot CLI command line for one headless run:
/// <c>copilot --prompt=PROMPT --output-format json --allow-all-tools --no-ask-user --no-auto-update
/// (--session-id=UUID | --resume=ID) [--model=M]</c>.
/// Every value is joined to its option with <c>=</c>, so a prompt that starts with a dash is never read as an option.
/// <c>--allow-all-tools</c> is what the CLI requires to run tools without a person to ask; <c>--no-ask-user</c> removes
/// the tool that would wait for one; <c>--no-auto-update</c> keeps a run from downloading a newer CLI and runs the
/// installed one. <c>--session-id</c> with a new UUID names a new session (the CLI refuses ids that are not UUIDs);
/// <c>--resume</c> continues one, and its history is sent again to the provider.
/// </summary>
public static class CopilotArgs
{
    /// <summary>Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well under it.</summary>
    public const int MaxArgumentBytes = 120 * 1024;

    /// <summary>Permission modes that widen the grant to every path and URL (<c>--allow-all</c>).</summary>
    public static bool IsAllowAll(string? permissionMode) =>
        permissionMode is "allow-all" or "allowAll" or "yolo" or "bypassPermissions";

    /// <param name="prompt">The whole prompt (the work protocol included, for a new conversation).</param>
    /// <param name="sessionId">A new session's UUID, or the session to resume.</param>
    /// <param name="resume">Continue <paramref name="sessionId"/> rather than start it.</param>
    /// <param name="model">The model, or null for the CLI's default (or <c>COPILOT_MODEL</c>).</param>
    /// <param name="permissionMode">The agent's permission mode: null/unset → <c>--allow-all-tools</c>; see <see cref="IsAllowAll"/>.</param>
    public static IReadOnlyList<string> Build(string prompt, string sessionId, bool resume, string? model, string? permissionMode)
    {
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw new ArgumentException("The prompt must not be empty: the CLI refuses an empty turn.", nameof(prompt));
        }

        if (Encoding.UTF8.GetByteCount(prompt) > MaxArgumentBytes)
        {
            throw new ArgumentException($"The prompt is longer than {MaxArgumentBytes} bytes, the most one argument can carry.", nameof(prompt));
        }

        if (string.IsNullOrWhiteSpace(sessionId))
        {
            throw new ArgumentException("A session id (new run) or resume token (resume) is required.", nameof(sessionId));
        }

        if (!resume && !Guid.TryParse(sessionId, out _))
        {
            throw new ArgumentException($"--session-id needs a UUID, got '{sessionId}'.", nameof(sessionId));
        }

        var args = new List<string>(9)
        {
            "--prompt=" + prompt,
            "--output-format",
            "json",
            IsAllowAll(permissionMode) ? "--allow-all" : "--allow-all-tools",
            "--no-ask-user",
            "--no-auto-update",
            resume ? "--resume=" + sessionId : "--session-id=" + sessionId,
        };
        if (!string.IsNullOrWhiteSpace(model))
        {
            args.Add("--model=" + model);
        }

        return args;
    }
}
