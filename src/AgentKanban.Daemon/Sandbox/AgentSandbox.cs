using AgentKanban.Agents.Process;
using AgentKanban.Agents.Process.Sandbox;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Workspaces;

namespace AgentKanban.Daemon.Sandbox;

/// <summary>Whether this daemon's agents run sandboxed.</summary>
public enum SandboxMode
{
    /// <summary>Every agent runs in its own namespaces.</summary>
    On,

    /// <summary>The operator opted out (<c>--no-sandbox</c>): agents run as the daemon's user with its view of the machine.</summary>
    Off,

    /// <summary>The machine refused the namespaces: no agent is started until this is fixed or the operator opts out.</summary>
    Unavailable,
}

/// <summary>
/// What each agent of this daemon may see, and the wrapping that enforces it. Hidden: the daemon's state directory
/// (its store with every session's key, the machine key, the logs, every worktree), the CLI's config directory
/// (the user's token), the board server's data directory and any directory the operator adds. Opened again inside
/// them: this session's worktree, the git repository it commits into, a private temp dir (<c>TMPDIR</c>), the
/// <c>ak</c> and runtime executables (read-only) and the operator's extra paths. Everything else on the machine
/// looks as it does to the daemon (the runtime's own home such as <c>~/.claude</c>, the tools, the network).
/// </summary>
public sealed class AgentSandbox
{
    public const string TempVariable = "TMPDIR";

    private readonly SandboxSettings _settings;
    private readonly SandboxUser _user;

    public AgentSandbox(SandboxSettings settings, SandboxMode mode, SandboxSupport? support, SandboxUser user)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        Mode = mode;
        Support = support;
        _user = user;
    }

    public SandboxMode Mode { get; }

    /// <summary>What the start-up probe found (null when the operator opted out before probing).</summary>
    public SandboxSupport? Support { get; }

    /// <summary>One line for the log and <c>ak daemon status</c>.</summary>
    public string Describe() => Mode switch
    {
        SandboxMode.On => "on (own user, mount and PID namespaces per agent)",
        SandboxMode.Off => "off (--no-sandbox): agents see everything the daemon's user can",
        _ => $"unavailable: {Support?.Problem} — no agent is started; fix this or run the daemon with --no-sandbox",
    };

    /// <summary>Decides the mode at start: opted out, or whatever the probe finds on this machine.</summary>
    public static async Task<AgentSandbox> CreateAsync(SandboxSettings settings, bool optOut, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        if (optOut)
        {
            return new AgentSandbox(settings, SandboxMode.Off, null, SandboxUser.Current);
        }

        var unshare = FindUnshare(environment);
        SecureFiles.EnsurePrivateDirectory(settings.TempRoot);
        var support = await SandboxProbe.CheckAsync(unshare, settings.TempRoot, cancellationToken);
        return new AgentSandbox(settings, support.Available ? SandboxMode.On : SandboxMode.Unavailable, support, SandboxUser.Current);
    }

    /// <summary>
    /// The process options that run the agent inside its sandbox (unchanged when the sandbox is off), with its
    /// private temp dir created empty.
    /// </summary>
    public AgentProcessOptions Wrap(AgentProcessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (Mode)
        {
            case SandboxMode.Off:
                return options;
            case SandboxMode.Unavailable:
                // The dispatcher starts nothing in this mode; reaching here is a bug, and running unsandboxed is not the answer.
                throw new AgentProcessStartException("agents need a sandbox and this machine cannot make one: " + Support?.Problem);
        }

        var workingDirectory = SafeDirectories.RealPath(options.WorkingDirectory);
        var temp = TempDirectoryFor(workingDirectory);
        if (Directory.Exists(temp))
        {
            Directory.Delete(temp, recursive: true);
        }

        SecureFiles.EnsurePrivateDirectory(temp);
        var open = new List<OpenPath> { new(workingDirectory, true), new(temp, true) };
        if (GitCommonDirectory(workingDirectory) is { } git)
        {
            open.Add(new OpenPath(git, true));
        }

        var executable = EnvironmentLookup.ResolveExecutable(options.Executable, options.Environment, options.WorkingDirectory);
        if (executable is not null)
        {
            open.Add(new OpenPath(SafeDirectories.RealPath(executable), false));
        }

        if (_settings.AkDirectory is { } ak && Directory.Exists(ak))
        {
            open.Add(new OpenPath(SafeDirectories.RealPath(ak), false));
        }

        open.AddRange(_settings.ExtraOpen.Where(p => Directory.Exists(p) || File.Exists(p)).Select(p => new OpenPath(SafeDirectories.RealPath(p), true)));
        var spec = new SandboxSpec
        {
            Hidden = [.. _settings.Hidden.Where(Directory.Exists).Select(SafeDirectories.RealPath)],
            Open = open,
        };
        var environment = new Dictionary<string, string>(options.Environment, StringComparer.Ordinal) { [TempVariable] = temp };
        // Resolved once, here: the sandbox then runs that path.
        return NamespaceSandbox.Wrap(options with { Executable = executable ?? options.Executable, Environment = environment, WorkingDirectory = workingDirectory },
            spec, Support!.Unshare!, _user);
    }

    /// <summary>How the agent ended, read through the sandbox's init (see <see cref="NamespaceSandbox.AgentExit"/>).</summary>
    public ProcessExit AgentExit(ProcessExit exit) => Mode == SandboxMode.On ? NamespaceSandbox.AgentExit(exit) : exit;

    /// <summary>Removes the agent's private temp dir once it has exited.</summary>
    public void Release(string workingDirectory)
    {
        if (Mode != SandboxMode.On)
        {
            return;
        }

        try
        {
            var temp = TempDirectoryFor(SafeDirectories.RealPath(workingDirectory));
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
        catch (IOException)
        {
            // Emptied again at the next launch of the same session.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string TempDirectoryFor(string workingDirectory) => Path.Combine(_settings.TempRoot, Path.GetFileName(workingDirectory));

    /// <summary>The repository a linked worktree commits into: <c>.git</c> names its admin dir, whose <c>commondir</c> names the repository.</summary>
    public static string? GitCommonDirectory(string workingDirectory)
    {
        var link = Path.Combine(workingDirectory, ".git");
        if (!File.Exists(link))
        {
            return null;
        }

        var line = File.ReadLines(link).FirstOrDefault();
        if (line is null || !line.StartsWith("gitdir:", StringComparison.Ordinal))
        {
            return null;
        }

        var admin = Path.GetFullPath(line["gitdir:".Length..].Trim(), workingDirectory);
        var common = Path.Combine(admin, "commondir");
        var repository = File.Exists(common) ? Path.GetFullPath(File.ReadLines(common).First().Trim(), admin) : admin;
        return Directory.Exists(repository) ? SafeDirectories.RealPath(repository) : null;
    }

    private static string? FindUnshare(IReadOnlyDictionary<string, string?> environment)
    {
        if (environment.TryGetValue(SandboxSettings.UnshareVariable, out var configured) && !string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var path = environment.TryGetValue("PATH", out var p) && !string.IsNullOrEmpty(p) ? p : "/usr/local/bin:/usr/bin:/bin";
        var search = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = path + ":/usr/bin:/bin" };
        return EnvironmentLookup.ResolveExecutable("unshare", search, "/");
    }
}
