using System.Globalization;

namespace AgentKanban.Agents.Process.Sandbox;

/// <summary>Whether agents can be sandboxed on this machine, and if not, why.</summary>
/// <param name="Unshare">The <c>unshare</c> executable used (null when none was found).</param>
public sealed record SandboxSupport(bool Available, string? Unshare, string? Problem)
{
    public static SandboxSupport Unavailable(string? unshare, string problem) => new(false, unshare, problem);
}

/// <summary>
/// Tries the whole sandbox once, the way an agent will get it: a directory is hidden, a path inside it is opened
/// again and written through, and a file beside it must stay unseen. Any refusal (no <c>unshare</c>, user
/// namespaces switched off, mounts refused) comes back as the problem, with what the kernel or tool said.
/// </summary>
public static class SandboxProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static async Task<SandboxSupport> CheckAsync(string? unshare, string scratchDirectory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(scratchDirectory);
        if (unshare is null || !File.Exists(unshare))
        {
            return SandboxSupport.Unavailable(unshare, "util-linux `unshare` was not found" + (unshare is null ? " on PATH" : $" at {unshare}"));
        }

        var root = Path.Combine(scratchDirectory, "sandbox-probe-" + Guid.NewGuid().ToString("N"));
        var open = Path.Combine(root, "open");
        Directory.CreateDirectory(open);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(root, "secret"), "hidden", cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(open, "marker"), "seen", cancellationToken);
            var spec = new SandboxSpec { Hidden = [root], Open = [new OpenPath(open, Writable: true)] };
            var check = $"test -f marker && test ! -e {NamespaceSandbox.Quote(Path.Combine(root, "secret"))} && "
                        + $"test ! -e /proc/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/environ && echo ok > written";
            var wrapped = NamespaceSandbox.Wrap(new AgentProcessOptions
            {
                Executable = "/bin/sh",
                Arguments = ["-c", check],
                Environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin" },
                WorkingDirectory = open,
            }, spec, unshare, SandboxUser.Current);

            var (exitCode, error) = await RunAsync(wrapped, cancellationToken);
            if (exitCode == 0 && File.Exists(Path.Combine(open, "written")))
            {
                return new SandboxSupport(true, unshare, null);
            }

            var said = string.IsNullOrWhiteSpace(error) ? $"exit code {exitCode}" : error.Trim();
            return SandboxSupport.Unavailable(unshare, "user, mount and PID namespaces could not be set up: " + said);
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Runs the probe with the product's own process runner (the way an agent is run), within <see cref="Timeout"/>.</summary>
    private static async Task<(int? ExitCode, string Error)> RunAsync(AgentProcessOptions options, CancellationToken cancellationToken)
    {
        AgentProcess process;
        try
        {
            process = AgentProcess.Start(options);
        }
        catch (AgentProcessStartException e)
        {
            return (null, e.Message);
        }

        await using (process)
        {
            try
            {
                var exit = await process.Exited.WaitAsync(Timeout, cancellationToken);
                await process.OutputCompleted.WaitAsync(Timeout, cancellationToken);
                return (exit.ExitCode, process.StandardErrorTail);
            }
            catch (TimeoutException)
            {
                await process.StopAsync(TimeSpan.FromSeconds(1), cancellationToken);
                return (null, $"the probe did not finish within {Timeout.TotalSeconds:0} s");
            }
        }
    }
}
