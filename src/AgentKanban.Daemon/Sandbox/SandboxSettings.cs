namespace AgentKanban.Daemon.Sandbox;

/// <summary>The paths a daemon's sandbox hides and opens (see <see cref="AgentSandbox"/>).</summary>
/// <param name="Hidden">Directories covered for every agent: the state dir, the CLI config, the server's data, the operator's extras.</param>
/// <param name="ExtraOpen">Paths the operator opened for agents inside hidden directories (<c>--sandbox-open</c>).</param>
/// <param name="TempRoot">Where each agent's private temp dir is made (inside the state dir, so hidden from the others).</param>
/// <param name="AkDirectory">The directory of the <c>ak</c> executable agents call (opened read-only if it lies in a hidden one).</param>
public sealed record SandboxSettings(IReadOnlyList<string> Hidden, IReadOnlyList<string> ExtraOpen, string TempRoot, string? AkDirectory)
{
    /// <summary>Names the <c>unshare</c> executable instead of the <c>PATH</c> lookup.</summary>
    public const string UnshareVariable = "AK_SANDBOX_UNSHARE";

    /// <summary>
    /// A daemon's settings: its state dir, the CLI config dir (<c>${XDG_CONFIG_HOME:-~/.config}/agent-kanban</c>, the
    /// user's token) and the server's default data dir (<c>${XDG_DATA_HOME:-~/.local/share}/agent-kanban</c>, the board's
    /// database when <c>ak up</c> runs here) hidden, plus the operator's own.
    /// </summary>
    public static SandboxSettings ForDaemon(
        string stateRoot, IReadOnlyDictionary<string, string?> environment, IReadOnlyList<string> hide, IReadOnlyList<string> open, string? akDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var hidden = new List<string> { stateRoot, Path.GetDirectoryName(Setup.Credentials.ConfigFile(environment))! };
        if (Setup.StatePaths.XdgDirectory(environment, "XDG_DATA_HOME", Path.Combine(".local", "share")) is { } data)
        {
            hidden.Add(Path.Combine(data, Setup.StatePaths.AppFolder));
        }

        hidden.AddRange(hide.Select(Path.GetFullPath));
        return new SandboxSettings(hidden, [.. open.Select(Path.GetFullPath)], Path.Combine(stateRoot, "tmp"), akDirectory);
    }
}
