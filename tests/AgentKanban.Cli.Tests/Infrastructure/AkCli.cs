namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>
/// Runs <c>ak</c> in-process through <see cref="CliApp"/> with its own environment (config under a temp
/// XDG_CONFIG_HOME), so tests never read or write the real user's config and can run in parallel.
/// </summary>
public sealed class AkCli
{
    private readonly Dictionary<string, string?> _env;

    public AkCli(string home, IReadOnlyDictionary<string, string?>? env = null)
    {
        _env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["HOME"] = home,
            ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
            ["XDG_DATA_HOME"] = Path.Combine(home, ".local", "share"),
        };
        foreach (var (key, value) in env ?? new Dictionary<string, string?>())
        {
            _env[key] = value;
        }
    }

    public IReadOnlyDictionary<string, string?> Env => _env;

    /// <summary>A copy with more (or replaced) variables.</summary>
    public AkCli With(params (string Name, string? Value)[] variables)
    {
        var env = new Dictionary<string, string?>(_env);
        foreach (var (name, value) in variables)
        {
            env[name] = value;
        }

        return new AkCli(_env["HOME"]!, env);
    }

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public async Task<CliResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var input = new StringReader(stdin ?? "");
        using var context = new CliContext(stdout, stderr, _env, input);
        var code = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Starts a long-running command (wait, up) whose output the test can watch while it runs.</summary>
    public RunningCli Start(CancellationToken stop, params string[] args)
    {
        var stdout = new ObservableWriter();
        var stderr = new ObservableWriter();
        var run = Task.Run(async () =>
        {
            using var context = new CliContext(stdout, stderr, _env);
            var code = await CliApp.RunAsync(args, context, stop);
            return new CliResult(code, stdout.ToString(), stderr.ToString());
        }, CancellationToken.None);
        return new RunningCli(run, stdout, stderr);
    }

    /// <summary>Runs and asserts exit 0, showing the output when it was not.</summary>
    public async Task<CliResult> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"ak {string.Join(' ', args)}\n{result}");
        return result;
    }
}
