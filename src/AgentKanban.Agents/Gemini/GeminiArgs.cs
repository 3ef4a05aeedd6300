using System.Text;

namespace AgentKanban.Agents.Gemini;

/// <summary>Everything needed to start (or resume) one Gemini CLI run.</summary>
/// <param name="Prompt">The text for this turn (with our work protocol in front on a new conversation).</param>
/// <param name="SessionId">A new conversation's id (a UUID, <c>--session-id</c>) or the one to continue (<c>--resume</c>).</param>
/// <param name="Resume">Continue <paramref name="SessionId"/> rather than start it.</param>
/// <param name="Model">The model (<c>-m</c>); null: the CLI's choice.</param>
/// <param name="ApprovalMode">The CLI's approval mode (<c>--approval-mode</c>).</param>
public sealed record GeminiLaunch(string Prompt, string SessionId, bool Resume, string? Model, string ApprovalMode);

/// <summary>A ready command: the arguments, and what goes to standard input (null: nothing, <c>/dev/null</c>).</summary>
public sealed record GeminiCommand(IReadOnlyList<string> Arguments, byte[]? StandardInput);

/// <summary>
/// Builds the Gemini CLI command line:
/// <c>gemini --output-format stream-json --skip-trust (--session-id UUID | --resume UUID) --approval-mode MODE [-m MODEL]
/// --prompt=TEXT</c>. <c>--skip-trust</c>: headless runs in an untrusted folder exit 55, and the daemon's worktrees are
/// new folders. The prompt is one <c>--prompt=</c> argument, so a prompt starting with a dash is never read as an
/// option; one too long for an argument goes on standard input instead (the CLI appends <c>--prompt</c> to its input).
/// Sessions are stored per project directory, so a resume must run in the directory that started the conversation.
/// </summary>
public static class GeminiArgs
{
    /// <summary>Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well under it.</summary>
    public const int MaxArgumentBytes = 120 * 1024;

    /// <summary>Runs every tool without asking: there is nobody to ask in a headless run.</summary>
    public const string DefaultApprovalMode = "yolo";

    private static readonly string[] ApprovalModes = ["default", "auto_edit", "yolo", "plan"];

    public static GeminiCommand Build(GeminiLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        if (string.IsNullOrWhiteSpace(launch.Prompt))
        {
            throw new ArgumentException("The prompt must not be empty: the provider refuses an empty turn.", nameof(launch));
        }

        if (!Guid.TryParse(launch.SessionId, out _))
        {
            throw new ArgumentException($"The Gemini CLI names sessions by UUID, got '{launch.SessionId}'.", nameof(launch));
        }

        if (!ApprovalModes.Contains(launch.ApprovalMode, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Unknown approval mode '{launch.ApprovalMode}' (one of {string.Join(", ", ApprovalModes)}).", nameof(launch));
        }

        var args = new List<string>(12) { "--output-format", "stream-json", "--skip-trust" };
        args.AddRange(launch.Resume ? ["--resume", launch.SessionId] : ["--session-id", launch.SessionId]);
        args.AddRange(["--approval-mode", launch.ApprovalMode]);
        if (!string.IsNullOrWhiteSpace(launch.Model))
        {
            args.AddRange(["-m", launch.Model]);
        }

        if (Encoding.UTF8.GetByteCount(launch.Prompt) > MaxArgumentBytes)
        {
            args.Add("--prompt=");
            return new GeminiCommand(args, Encoding.UTF8.GetBytes(launch.Prompt));
        }

        args.Add("--prompt=" + launch.Prompt);
        return new GeminiCommand(args, null);
    }

    /// <summary>
    /// The approval mode for the agent's permission mode: unset, or the other runtimes' "edit and run" modes, give
    /// <c>yolo</c> (headless, a tool that waits for approval is refused); the CLI's own mode names pass through.
    /// </summary>
    public static string ApprovalMode(string? permissionMode) => permissionMode switch
    {
        null or "" or "acceptEdits" or "bypassPermissions" => DefaultApprovalMode,
        _ => permissionMode,
    };
}
