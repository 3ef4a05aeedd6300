using System.Globalization;
using System.Text;

namespace AgentKanban.Agents.Codex;

/// <summary>Everything needed to start (or resume) one Codex run.</summary>
public sealed record CodexLaunch
{
    /// <summary>The task prompt, or the resume message. Never empty.</summary>
    public required string Prompt { get; init; }

    /// <summary>Non-null: continue this thread (<c>codex exec resume THREAD</c>); null: start a new one.</summary>
    public string? ThreadId { get; init; }

    public string? Model { get; init; }

    /// <summary>Our work protocol, given as Codex's <c>developer_instructions</c> (a developer message next to its own).</summary>
    public string? DeveloperInstructions { get; init; }

    /// <summary>
    /// Something outside confines the agent already (the daemon's sandbox): Codex's own sandbox is switched off, because
    /// its bundled <c>bwrap</c> cannot nest inside another namespace sandbox.
    /// </summary>
    public bool ExternallySandboxed { get; init; }

    /// <summary>
    /// With Codex's own sandbox (<c>workspace-write</c>): directories the agent may write besides its working directory
    /// (the git metadata of a linked worktree, which Codex otherwise keeps read-only, so a commit would fail).
    /// </summary>
    public IReadOnlyList<string> WritableRoots { get; init; } = [];
}

/// <summary>A ready command line; <paramref name="StandardInput"/> carries the prompt when it is too long for an argument.</summary>
public sealed record CodexCommand(IReadOnlyList<string> Arguments, byte[]? StandardInput);

/// <summary>
/// Builds the Codex command line (verified on 0.169.0):
/// <c>codex exec [resume] --json --skip-git-repo-check -c allow_login_shell=false [-m MODEL] SANDBOX
/// [-c developer_instructions="…"] -- [THREAD] PROMPT</c>.
/// <list type="bullet">
/// <item><c>allow_login_shell=false</c>: tool commands run through <c>bash -c</c>, not <c>bash -lc</c>; a login shell
/// reads <c>/etc/profile</c>, which on Debian resets <c>PATH</c> and loses the directory <c>ak</c> was put in.</item>
/// <item>Sandbox: <c>--dangerously-bypass-approvals-and-sandbox</c> when the daemon's sandbox confines the agent; else
/// Codex's <c>workspace-write</c> with network access (the agent's <c>ak</c> talks to the board) and the worktree's git
/// metadata writable. <c>exec resume</c> has no <c>-s</c>, so the mode goes through <c>-c sandbox_mode</c> there.</item>
/// <item>The prompt goes after <c>--</c>, so one that starts with a dash is never read as an option; one too long for a
/// single argument goes on standard input (<c>-</c>).</item>
/// </list>
/// Standard input is otherwise empty: Codex reads a piped stdin and appends it to the prompt.
/// </summary>
public static class CodexArgs
{
    /// <summary>Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well under it.</summary>
    public const int MaxArgumentBytes = 120 * 1024;

    public static CodexCommand Build(CodexLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        if (string.IsNullOrWhiteSpace(launch.Prompt))
        {
            throw new ArgumentException("The prompt must not be empty: the provider refuses an empty turn.", nameof(launch));
        }

        if (launch.ThreadId is { } thread && (string.IsNullOrWhiteSpace(thread) || thread.StartsWith('-')))
        {
            throw new ArgumentException($"'{thread}' is not a Codex thread id.", nameof(launch));
        }

        var resume = launch.ThreadId is not null;
        var args = new List<string>(24) { "exec" };
        if (resume)
        {
            args.Add("resume");
        }

        args.AddRange(["--json", "--skip-git-repo-check", "-c", "allow_login_shell=false"]);
        if (!string.IsNullOrWhiteSpace(launch.Model))
        {
            args.AddRange(["-m", launch.Model]);
        }

        if (launch.ExternallySandboxed)
        {
            args.Add("--dangerously-bypass-approvals-and-sandbox");
        }
        else
        {
            args.AddRange(resume ? ["-c", "sandbox_mode=\"workspace-write\""] : ["-s", "workspace-write"]);
            args.AddRange(["-c", "sandbox_workspace_write.network_access=true"]);
            if (launch.WritableRoots.Count > 0)
            {
                args.AddRange(["-c", "sandbox_workspace_write.writable_roots=[" + string.Join(',', launch.WritableRoots.Select(TomlString)) + "]"]);
            }
        }

        if (!string.IsNullOrWhiteSpace(launch.DeveloperInstructions))
        {
            args.AddRange(["-c", "developer_instructions=" + TomlString(launch.DeveloperInstructions)]);
        }

        args.Add("--");
        if (launch.ThreadId is { } id)
        {
            args.Add(id);
        }

        if (Encoding.UTF8.GetByteCount(launch.Prompt) > MaxArgumentBytes)
        {
            args.Add("-");
            return new CodexCommand(args, Encoding.UTF8.GetBytes(launch.Prompt));
        }

        args.Add(launch.Prompt);
        return new CodexCommand(args, null);
    }

    /// <summary>
    /// Whether <paramref name="instructions"/> fit in one <c>-c developer_instructions=…</c> argument once quoted (else the
    /// runtime puts them before the prompt).
    /// </summary>
    public static bool FitsAsDeveloperInstructions(string instructions) =>
        Encoding.UTF8.GetByteCount(TomlString(instructions)) + "developer_instructions=".Length <= MaxArgumentBytes;

    /// <summary>
    /// A TOML basic string. Codex parses a <c>-c</c> value as TOML and, when that fails, silently takes the raw text
    /// instead; quoting every character TOML reserves keeps the value exact.
    /// </summary>
    public static string TomlString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length + 16).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case < ' ' or '\u007f':
                    builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.Append('"').ToString();
    }
}
