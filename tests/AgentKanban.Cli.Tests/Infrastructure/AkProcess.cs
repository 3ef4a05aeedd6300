using System.Diagnostics;

namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>The built <c>ak</c> executable (apphost), run as a real child process.</summary>
public static class AkProcess
{
    /// <summary>
    /// <c>AK_TEST_AK</c> when set (the test command publishes the native <c>ak</c> and points the executable tests at it,
    /// so a break that only the NativeAOT build has fails here); otherwise the apphost in the CLI project's output folder
    /// (same configuration as the tests), or the copy next to the tests.
    /// </summary>
    public static string Path { get; } = Find();

    public static ProcessStartInfo StartInfo(string home, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        var info = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // A clean identity: nothing from the machine running the tests leaks in.
        foreach (var name in new[] { "AK_SERVER", "AK_TOKEN", "AK_SESSION_ID", "AK_SESSION_KEY", "AK_TASK_ID", "AK_DEBUG" })
        {
            info.Environment.Remove(name);
        }

        info.Environment["HOME"] = home;
        info.Environment["XDG_CONFIG_HOME"] = System.IO.Path.Combine(home, ".config");
        info.Environment["XDG_DATA_HOME"] = System.IO.Path.Combine(home, ".local", "share");
        foreach (var (key, value) in env ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        return info;
    }

    /// <summary>Runs to completion (bounded, so a hung child fails the test instead of hanging it).</summary>
    public static async Task<CliResult> RunAsync(string home, IReadOnlyDictionary<string, string?>? env, params string[] args)
    {
        using var process = Process.Start(StartInfo(home, args, env))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Sends SIGTERM the way a service manager would (through the real <c>kill</c> command).</summary>
    public static async Task TerminateAsync(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString() }, UseShellExecute = false })!;
        await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, kill.ExitCode);
    }

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("AK_TEST_AK") is { Length: > 0 } published)
        {
            return File.Exists(published) ? published : throw new FileNotFoundException($"AK_TEST_AK names {published}, which does not exist");
        }

#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "AgentKanban.slnx")))
            {
                var built = System.IO.Path.Combine(dir.FullName, "src", "AgentKanban.Cli", "bin", configuration, "net10.0", "ak");
                if (File.Exists(built))
                {
                    return built;
                }

                break;
            }
        }

        var beside = System.IO.Path.Combine(AppContext.BaseDirectory, "ak");
        return File.Exists(beside) ? beside : throw new FileNotFoundException("the built ak executable was not found; build src/AgentKanban.Cli first");
    }
}
