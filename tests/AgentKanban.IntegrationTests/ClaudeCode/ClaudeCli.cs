using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AgentKanban.IntegrationTests.ClaudeCode;

/// <summary>
/// Runs the real Claude Code CLI pinned in the repository's package-lock.json (<c>npm ci</c> puts it in
/// <c>node_modules/.bin/claude</c>; on linux-x64 it is a native binary, so node 20 is fine).
/// </summary>
public static class ClaudeCli
{
    /// <summary>
    /// Permission flags that let <c>-p</c> mode edit files and run Bash both as root and as an ordinary
    /// user (verified on 2.1.330). <c>--dangerously-skip-permissions</c> and
    /// <c>--permission-mode bypassPermissions</c> exit 1 as root unless <c>IS_SANDBOX=1</c>;
    /// <c>acceptEdits</c> alone lets shell redirections into the working directory through but refuses
    /// other commands ("This command requires approval"), hence the allow-list.
    /// </summary>
    public static IReadOnlyList<string> HeadlessPermissionArguments { get; } =
        ["--permission-mode", "acceptEdits", "--allowedTools", "Bash,Edit,Write,Read"];

    // Variables of the surrounding shell that would take the CLI away from the fake API or make it
    // believe it runs nested inside another Claude Code session.
    private static readonly string[] RemovedVariables =
    [
        "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL", "ANTHROPIC_SMALL_FAST_MODEL",
        "CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT",
        "CLAUDE_CONFIG_DIR", "IS_SANDBOX",
    ];

    /// <summary>
    /// The <c>claude</c> executable under the nearest <c>node_modules/.bin</c> above the test assembly
    /// (the repository root). Fails with a hint when <c>npm ci</c> has not run.
    /// </summary>
    public static string Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "node_modules", ".bin", "claude");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"No node_modules/.bin/claude above {AppContext.BaseDirectory}. Run `npm ci` in the repository root (scripts/test.sh does).");
    }

    /// <summary>The directory holding <c>claude</c>, to put on PATH for a daemon that finds runtimes there.</summary>
    public static string BinDirectory() => Path.GetDirectoryName(Locate())!;

    /// <summary>
    /// The environment that points the CLI at a fake API: base URL, an OAuth token (any value; with it the
    /// CLI reads the <c>anthropic-ratelimit-unified-*</c> headers and emits <c>rate_limit_event</c>; with
    /// <c>ANTHROPIC_API_KEY</c> instead only the assistant error appears), no telemetry or other traffic,
    /// and a scratch HOME (the CLI keeps its sessions under <c>HOME/.claude/projects</c>, so a
    /// <c>--resume</c> needs the same HOME). A null value means "remove this variable".
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Environment(Uri baseUrl, string home)
    {
        var environment = RemovedVariables.ToDictionary(name => name, _ => (string?)null);
        environment["ANTHROPIC_BASE_URL"] = baseUrl.GetLeftPart(UriPartial.Authority);
        environment["CLAUDE_CODE_OAUTH_TOKEN"] = "fake-oauth-token";
        environment["DISABLE_TELEMETRY"] = "1";
        environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        environment["HOME"] = home;
        return environment;
    }

    /// <summary>The command line after the executable for one run.</summary>
    public static IReadOnlyList<string> Arguments(ClaudeRunOptions options)
    {
        var arguments = new List<string> { "-p", options.Prompt, "--output-format", "stream-json", "--verbose" };
        if (options.SessionId is { } sessionId)
        {
            arguments.AddRange(["--session-id", sessionId.ToString()]);
        }

        if (options.ResumeSessionId is { } resumeId)
        {
            arguments.AddRange(["--resume", resumeId.ToString()]);
        }

        arguments.AddRange(options.PermissionArguments);
        arguments.AddRange(options.ExtraArguments);
        return arguments;
    }

    /// <summary>
    /// Runs the CLI to completion and captures its output. Stdin is closed at once (in <c>-p</c> mode the
    /// CLI would otherwise read a piped stdin into the prompt).
    /// </summary>
    public static async Task<ClaudeRunResult> RunAsync(ClaudeRunOptions options, CancellationToken cancellationToken)
    {
        var executable = Locate();
        var command = options.Launcher.Concat([executable]).Concat(Arguments(options)).ToList();
        var startInfo = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = options.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in command.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        ApplyEnvironment(startInfo, options);

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {command[0]}.");
        process.StandardInput.Close();
        var stdoutLines = new List<string>();
        var stdout = ReadLinesAsync(process.StandardOutput, stdoutLines);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            var partial = await CollectAsync(stdout, stderr, stdoutLines);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"claude did not finish within {options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.\n{new ClaudeRunResult(-1, partial.Lines, partial.Stderr)}");
        }

        var output = await CollectAsync(stdout, stderr, stdoutLines);
        return new ClaudeRunResult(process.ExitCode, output.Lines, output.Stderr);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own in the meantime.
        }
    }

    private static void ApplyEnvironment(ProcessStartInfo startInfo, ClaudeRunOptions options)
    {
        var variables = Environment(options.BaseUrl, options.Home).Concat(options.Environment);
        foreach (var (name, value) in variables)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        if (options.TempDirectory is not null)
        {
            startInfo.Environment["TMPDIR"] = options.TempDirectory;
        }

        if (options.PathPrefix.Count > 0)
        {
            var path = startInfo.Environment.TryGetValue("PATH", out var current) ? current : null;
            startInfo.Environment["PATH"] = string.Join(Path.PathSeparator, options.PathPrefix.Append(path ?? "/usr/bin:/bin"));
        }
    }

    private static async Task ReadLinesAsync(StreamReader reader, List<string> lines)
    {
        while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    // A tool's background child can inherit the stdout pipe and keep it open after the CLI exits
    // (ENVIRONMENT.md); the output is complete once the CLI has exited, so stop waiting after a grace period.
    private static async Task<(IReadOnlyList<string> Lines, string Stderr)> CollectAsync(Task stdout, Task<string> stderr, List<string> lines)
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            // Keep what has arrived.
        }

        var errors = stderr.IsCompletedSuccessfully ? await stderr : "";
        lock (lines)
        {
            return ([.. lines], errors);
        }
    }
}
