using System.Diagnostics;
using System.Text.Json;

namespace AgentKanban.Cli.Waiting;

/// <summary>What one <c>gh</c> run said.</summary>
internal sealed record GhResult(int ExitCode, string Out, string Err)
{
    /// <summary>The first line of stderr (gh's message), or the exit code when it said nothing.</summary>
    public string Message => Err.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
        ?? $"exit code {ExitCode}";
}

/// <summary>One check of a pull request as <c>gh pr checks --json</c> reports it, sorted into pass/fail/pending.</summary>
internal sealed record PrCheck(string Name, string State, string Bucket, string? Link)
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Pending = "pending";
    public const string Skipping = "skipping";
    public const string Cancel = "cancel";

    public bool Finished => Bucket is Pass or Skipping or Fail or Cancel;

    public bool Failed => Bucket is Fail or Cancel;

    /// <summary>gh's bucket, or one made from the state when this gh gives none.</summary>
    public static string BucketOf(string? bucket, string state) => bucket is { Length: > 0 } ? bucket : state.ToUpperInvariant() switch
    {
        "SUCCESS" => Pass,
        "SKIPPED" or "NEUTRAL" => Skipping,
        "FAILURE" or "ERROR" or "TIMED_OUT" or "ACTION_REQUIRED" or "STARTUP_FAILURE" or "STALE" => Fail,
        "CANCELLED" => Cancel,
        _ => Pending,
    };
}

/// <summary>
/// The GitHub CLI, found on the command's PATH and run with an argument list (never through a shell), each run bounded
/// in time. Its environment is the command's, less this CLI's own credentials.
/// </summary>
internal sealed class GhCli(string path, IReadOnlyDictionary<string, string?> env, TimeProvider time)
{
    /// <summary>The longest one gh run may take before it is killed (gh answers in about a second).</summary>
    public static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(60);

    private static readonly string[] Withheld = ["AK_TOKEN", "AK_SESSION_KEY", "AK_SESSION_ID"];

    public string Path => path;

    /// <summary>The <c>gh</c> executable on PATH, or null.</summary>
    public static string? Find(IReadOnlyDictionary<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (!env.TryGetValue("PATH", out var search) || string.IsNullOrEmpty(search))
        {
            return null;
        }

        foreach (var dir in search.Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, "gh");
            if (File.Exists(candidate) && (OperatingSystem.IsWindows()
                || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary><c>gh pr view URL --json state</c>: OPEN, CLOSED or MERGED.</summary>
    public async Task<(string? State, GhResult Result)> PrStateAsync(string url, CancellationToken ct)
    {
        var result = await RunAsync(["pr", "view", url, "--json", "state"], ct);
        if (result.ExitCode != 0)
        {
            return (null, result);
        }

        try
        {
            using var json = JsonDocument.Parse(result.Out);
            return json.RootElement.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.String
                ? (state.GetString(), result)
                : (null, result);
        }
        catch (JsonException)
        {
            return (null, result);
        }
    }

    /// <summary>
    /// <c>gh pr checks URL --json name,state,bucket,link</c>: the checks (empty when none are reported yet), or null
    /// when gh failed. gh may exit non-zero while checks are pending or failing, so its output decides, not its code.
    /// </summary>
    public async Task<(List<PrCheck>? Checks, GhResult Result)> ChecksAsync(string url, CancellationToken ct)
    {
        var result = await RunAsync(["pr", "checks", url, "--json", "name,state,bucket,link"], ct);
        if (result.Err.Contains("no checks reported", StringComparison.OrdinalIgnoreCase))
        {
            return ([], result);
        }

        try
        {
            using var json = JsonDocument.Parse(result.Out);
            if (json.RootElement.ValueKind != JsonValueKind.Array)
            {
                return (null, result);
            }

            var checks = new List<PrCheck>();
            foreach (var item in json.RootElement.EnumerateArray())
            {
                var name = Text(item, "name") ?? "(unnamed)";
                var state = Text(item, "state") ?? "";
                checks.Add(new PrCheck(name, state, PrCheck.BucketOf(Text(item, "bucket"), state), Text(item, "link")));
            }

            return (checks, result);
        }
        catch (JsonException)
        {
            return (null, result);
        }
    }

    private static string? Text(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private async Task<GhResult> RunAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(path)
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

        foreach (var (name, value) in env)
        {
            info.Environment[name] = value;
        }

        foreach (var name in Withheld)
        {
            info.Environment.Remove(name);
        }

        info.Environment["GH_PROMPT_DISABLED"] = "1"; // never wait for an answer on a terminal nobody watches
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {path}");
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(RunLimit, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        var stdout = process.StandardOutput.ReadToEndAsync(linked.Token);
        var stderr = process.StandardError.ReadToEndAsync(linked.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
            return new GhResult(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (!ct.IsCancellationRequested)
            {
                return new GhResult(-1, "", $"gh did not answer within {AgentKanban.Cli.Output.Age.Format(RunLimit)}");
            }

            throw;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended on its own meanwhile.
        }
    }
}
