using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Git;

/// <summary>
/// Runs the git CLI without a shell and without blocking a thread: argument list, explicit environment
/// (no prompts, no pager), asynchronous pipe reads with size caps, and the whole process tree killed on
/// cancellation or timeout.
/// </summary>
public sealed class GitRunner(GitRunnerOptions options, TimeProvider time, ILogger<GitRunner> logger)
{
    public const int DefaultMaxOutputBytes = 4 * 1024 * 1024;

    private const int StandardErrorTailBytes = 16 * 1024;

    // After git exits, a helper it started (a credential cache daemon, say) may still hold the pipes open;
    // wait this long for the end of output, then stop reading rather than hang. Generous, because on a loaded
    // machine the last reads of a legitimate output can lag well behind the exit.
    private static readonly TimeSpan OutputDrainGrace = TimeSpan.FromSeconds(30);

    // Variables that would point git at another repository, index or object store than the one we name.
    private static readonly string[] RepositoryRedirects =
    [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_QUARANTINE_PATH", "GIT_CEILING_DIRECTORIES",
    ];

    /// <summary>Runs git and returns its output; a non-zero exit becomes a <see cref="GitException"/>.</summary>
    public async Task<GitResult> RunAsync(GitInvocation invocation, CancellationToken ct)
    {
        var result = await TryRunAsync(invocation, ct);
        return result.Succeeded
            ? result
            : throw new GitException(GitFailureKind.ExitCode, Describe(invocation), result.ExitCode, GitUrl.Redact(result.StandardError));
    }

    /// <summary>Shorthand for <see cref="RunAsync(GitInvocation, CancellationToken)"/> with default limits.</summary>
    public Task<GitResult> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, CancellationToken ct) =>
        RunAsync(new GitInvocation(workingDirectory, arguments), ct);

    /// <summary>Runs git and returns its result whatever the exit code (for probes such as "does this ref exist").
    /// Throws only when git cannot start, times out, or <paramref name="ct"/> is cancelled.</summary>
    public async Task<GitResult> TryRunAsync(GitInvocation invocation, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var command = Describe(invocation);
        using var process = new Process { StartInfo = BuildStartInfo(invocation) };
        var started = time.GetTimestamp();
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            throw new GitException(GitFailureKind.NotStarted, command, -1, e.Message, e);
        }

        // git must never wait for input: close its stdin at once.
        process.StandardInput.Close();
        var stdout = BoundedCapture.ReadHeadAsync(process.StandardOutput.BaseStream, invocation.MaxOutputBytes);
        var stderr = BoundedCapture.ReadTailAsync(process.StandardError.BaseStream, StandardErrorTailBytes);

        using var timeout = invocation.Timeout is { } limit ? new CancellationTokenSource(limit, time) : null;
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await process.WaitForExitAsync(linked?.Token ?? ct);
        }
        catch (OperationCanceledException)
        {
            GitLog.Killed(logger, command, ct.IsCancellationRequested ? "cancelled" : "timed out");
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            var tail = await DrainAsync(process, stdout, stderr, command);
            ct.ThrowIfCancellationRequested();
            throw new GitException(GitFailureKind.TimedOut, command, -1, GitUrl.Redact(tail));
        }

        var errorTail = await DrainAsync(process, stdout, stderr, command);
        var (output, truncated) = await stdout;
        var elapsedMs = (long)time.GetElapsedTime(started).TotalMilliseconds;
        GitLog.Finished(logger, command, process.ExitCode, elapsedMs);
        return new GitResult(process.ExitCode, output, errorTail, truncated);
    }

    /// <summary>"git arg arg …" with credentials removed, for messages and logs.</summary>
    internal static string Describe(GitInvocation invocation) =>
        GitUrl.Redact("git " + string.Join(' ', invocation.Arguments));

    private async Task<string> DrainAsync(Process process, Task<(string, bool)> stdout, Task<string> stderr, string command)
    {
        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(OutputDrainGrace, time);
        }
        catch (TimeoutException)
        {
            // Closing our read ends makes the pending reads finish with what they have.
            GitLog.OutputAbandoned(logger, command);
            process.StandardOutput.Close();
            process.StandardError.Close();
            await Task.WhenAll(stdout, stderr);
        }

        return await stderr;
    }

    private static void Kill(Process process)
    {
        try
        {
            // git runs helpers (remote-https, ssh, upload-pack): stop all of them, not only git itself.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited between the cancellation and the kill.
        }
    }

    private ProcessStartInfo BuildStartInfo(GitInvocation invocation)
    {
        var info = new ProcessStartInfo(options.Executable)
        {
            WorkingDirectory = invocation.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var argument in invocation.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var env = info.Environment;
        foreach (var name in RepositoryRedirects)
        {
            env.Remove(name);
        }

        // Never prompt (a daemon has nobody to answer and a prompt would hang the session), never page,
        // and speak English so messages read the same in every log.
        env["GIT_TERMINAL_PROMPT"] = "0";
        env["GCM_INTERACTIVE"] = "never";
        env["GIT_PAGER"] = "cat";
        env["PAGER"] = "cat";
        env["LC_ALL"] = "C";
        if (!env.ContainsKey("GIT_SSH_COMMAND") && !env.ContainsKey("GIT_SSH"))
        {
            // ssh reads passphrases and host-key answers from the terminal; batch mode fails instead.
            env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
        }

        Apply(env, options.Environment);
        if (invocation.Environment is { } extra)
        {
            Apply(env, extra);
        }

        return info;
    }

    private static void Apply(IDictionary<string, string?> env, IReadOnlyDictionary<string, string?> changes)
    {
        foreach (var (name, value) in changes)
        {
            if (value is null)
            {
                env.Remove(name);
            }
            else
            {
                env[name] = value;
            }
        }
    }
}
