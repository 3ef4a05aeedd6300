using System.Globalization;
using System.Text;

namespace AgentKanban.Agents.Process.Sandbox;

/// <summary>
/// Runs a process in its own user, mount and PID namespaces with util-linux <c>unshare</c> (present on every
/// Debian system, unlike bubblewrap), so no extra package is needed:
/// <list type="number">
/// <item>The outer <c>unshare --user --map-root-user --mount --pid --fork</c> gives a shell that is root only over
/// its new namespaces. It stages the open paths on a private tmpfs, covers each hidden directory with an empty
/// tmpfs, binds the open paths back at their own places, mounts a fresh <c>/proc</c> (only this sandbox's
/// processes) and an empty <c>/dev/shm</c>.</item>
/// <item>An inner <c>unshare --user</c> maps that root back to the daemon's own user and group and runs the agent.
/// The agent then holds no capability over the mount namespace: it cannot unmount a cover to see beneath it,
/// even when the daemon runs as root.</item>
/// </list>
/// The shell stays as the namespace's init (PID 1) with the agent as its child: a SIGTERM to the process group
/// reaches the agent (PID 1 would ignore it), and when PID 1 dies — SIGKILL of the group, or the outer
/// <c>unshare</c> dying, which <c>--kill-child</c> turns into SIGKILL — the kernel kills everything in the namespace.
/// </summary>
public static class NamespaceSandbox
{
    /// <summary>Where the open paths are staged while the hidden directories are covered (a tmpfs of our own over it).</summary>
    private const string Stage = "/dev/shm";

    /// <summary>
    /// The options that run <paramref name="options"/>' command inside the sandbox: same environment, working
    /// directory and standard input; the executable resolved on the host first (the agent's PATH may name a
    /// directory the sandbox hides).
    /// </summary>
    public static AgentProcessOptions Wrap(AgentProcessOptions options, SandboxSpec spec, string unshare, SandboxUser user)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrEmpty(unshare);
        var executable = EnvironmentLookup.ResolveExecutable(options.Executable, options.Environment, options.WorkingDirectory)
            ?? throw new AgentProcessStartException($"{options.Executable} not found (PATH of the agent's environment).");
        return options with
        {
            Executable = unshare,
            Arguments =
            [
                "--user", "--map-root-user", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private",
                "--", "/bin/sh", "-c", SetupScript(spec, options.WorkingDirectory, unshare, user), "ak-sandbox",
                executable, .. options.Arguments,
            ],
        };
    }

    /// <summary>
    /// How the agent ended, seen through the sandbox: its init shell reports a child killed by signal N as exit
    /// code 128+N (it cannot die of the signal itself), so such codes are read back as the signal.
    /// </summary>
    public static ProcessExit AgentExit(ProcessExit exit)
    {
        ArgumentNullException.ThrowIfNull(exit);
        return exit.ExitCode is > 128 and <= 128 + 64 and var code ? new ProcessExit(null, code - 128, false) : exit;
    }

    /// <summary>The shell script the sandbox's init runs (public for tests): mounts, then the agent as a child.</summary>
    public static string SetupScript(SandboxSpec spec, string workingDirectory, string unshare, SandboxUser user)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var hidden = Outermost(spec.Hidden.Select(Full).Where(Directory.Exists)).ToList();
        var open = Outermost(spec.Open.Select(o => o with { Path = Full(o.Path) })
                .Where(o => hidden.Any(h => IsUnder(o.Path, h)) && (Directory.Exists(o.Path) || File.Exists(o.Path))),
            o => o.Path).ToList();

        var script = new StringBuilder();
        script.Append("set -eu\n");
        script.Append(CultureInfo.InvariantCulture, $"mount -t tmpfs -o mode=0700 -- ak-sandbox {Stage}\n");
        for (var i = 0; i < open.Count; i++)
        {
            var staged = $"{Stage}/{i}";
            script.Append(Directory.Exists(open[i].Path)
                ? $"mkdir -- {staged} && mount --rbind -- {Quote(open[i].Path)} {staged}\n"
                : $"touch -- {staged} && mount --bind -- {Quote(open[i].Path)} {staged}\n");
        }

        foreach (var directory in hidden)
        {
            script.Append(CultureInfo.InvariantCulture, $"mount -t tmpfs -o mode=0755 -- ak-sandbox {Quote(directory)}\n");
        }

        for (var i = 0; i < open.Count; i++)
        {
            var (path, writable) = (open[i].Path, open[i].Writable);
            script.Append(Directory.Exists(path)
                ? $"mkdir -p -- {Quote(path)}\n"
                : $"mkdir -p -- {Quote(Path.GetDirectoryName(path)!)} && touch -- {Quote(path)}\n");
            script.Append(CultureInfo.InvariantCulture, $"mount --rbind -- {Stage}/{i} {Quote(path)}\n");
            if (!writable)
            {
                script.Append(CultureInfo.InvariantCulture, $"mount -o remount,bind,ro -- {Quote(path)}\n");
            }
        }

        script.Append(CultureInfo.InvariantCulture, $"umount -l -- {Stage}\n");
        script.Append(CultureInfo.InvariantCulture, $"mount -t tmpfs -o mode=1777 -- ak-sandbox {Stage}\n");
        script.Append("mount -t proc -- proc /proc\n");
        script.Append(CultureInfo.InvariantCulture, $"cd -- {Quote(Full(workingDirectory))}\n");
        // Not `exec`: this shell stays PID 1 (see the class comment) and passes the agent's status on.
        script.Append("set +e\n");
        script.Append(CultureInfo.InvariantCulture,
            $"{Quote(unshare)} --user --map-user={user.UserId} --map-group={user.GroupId} -- \"$@\"\n");
        script.Append("exit $?\n");
        return script.ToString();
    }

    /// <summary>A word the shell reads back exactly: single-quoted, with each <c>'</c> written as <c>'"'"'</c>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "'" + value.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";
    }

    public static bool IsUnder(string path, string directory) =>
        path.Length > directory.Length
        && path.StartsWith(directory, StringComparison.Ordinal)
        && (directory.EndsWith('/') || path[directory.Length] == '/');

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    private static IEnumerable<string> Outermost(IEnumerable<string> paths) => Outermost(paths, p => p);

    /// <summary>Distinct items whose path lies inside no other's: covering or binding the outer one already covers them.</summary>
    private static IEnumerable<T> Outermost<T>(IEnumerable<T> items, Func<T, string> pathOf)
    {
        var list = items.DistinctBy(pathOf, StringComparer.Ordinal).OrderBy(pathOf, StringComparer.Ordinal).ToList();
        return list.Where(item => !list.Any(other => IsUnder(pathOf(item), pathOf(other))));
    }
}
