using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Runtimes;

namespace AgentKanban.Daemon.Review;

public enum PullState
{
    Open,
    Merged,
    Closed,
}

/// <summary>The answer of <c>gh pr view</c>: the pull request's state, or why there is none.</summary>
/// <param name="RateLimited">GitHub refused because of its rate limit: back off before asking again.</param>
public sealed record PullCheck(PullState? State, bool RateLimited, string Detail)
{
    public bool Failed => State is null;
}

/// <summary>What <c>gh pr view --json state,mergedAt,closed</c> prints.</summary>
internal sealed record GhPullView
{
    public string? State { get; init; }
    public DateTimeOffset? MergedAt { get; init; }
    public bool? Closed { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GhPullView))]
internal sealed partial class ReviewJsonContext : JsonSerializerContext;

/// <summary>
/// Asks GitHub about a pull request through the <c>gh</c> CLI found on the daemon's <c>PATH</c> (its own login or
/// <c>GH_TOKEN</c>): an argument list, never a shell; no prompts; killed with its children after a timeout.
/// </summary>
public sealed partial class GitHubPulls(IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, TimeProvider time)
{
    private const int MaxOutputBytes = 64 * 1024;

    /// <summary>True for <c>https://github.com/OWNER/REPO/pull/N</c> (and GitHub Enterprise hosts: any host, same path).</summary>
    public static bool IsPullRequestUrl(string? url) =>
        url is not null && PullUrl().IsMatch(url.Trim());

    /// <summary>Whether <c>gh</c> is on the daemon's PATH now.</summary>
    public string? Executable => RuntimeCatalog.FindOnPath("gh", environment.TryGetValue("PATH", out var path) ? path : null);

    public async Task<PullCheck> ViewAsync(string url, CancellationToken ct)
    {
        if (Executable is not { } gh)
        {
            return new(null, false, "gh is not installed (not on the daemon's PATH)");
        }

        var info = new ProcessStartInfo(gh)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
            WorkingDirectory = "/",
        };
        foreach (var argument in new[] { "pr", "view", url.Trim(), "--json", "state,mergedAt,closed" })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            // Everything the daemon runs with (gh's own login, GH_TOKEN, GH_HOST, proxies), but not its board credentials.
            if (value is not null && !name.StartsWith("AK_", StringComparison.Ordinal))
            {
                info.Environment[name] = value;
            }
        }

        info.Environment["GH_PROMPT_DISABLED"] = "1";
        info.Environment["GH_NO_UPDATE_NOTIFIER"] = "1";
        info.Environment["GH_PAGER"] = "cat";
        info.Environment["NO_COLOR"] = "1";
        info.Environment["LC_ALL"] = "C";

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            return new(null, false, "gh could not be started: " + e.Message);
        }

        process.StandardInput.Close();
        var stdout = BoundedCapture.ReadHeadAsync(process.StandardOutput.BaseStream, MaxOutputBytes);
        var stderr = BoundedCapture.ReadTailAsync(process.StandardError.BaseStream, MaxOutputBytes);
        using var limit = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, limit.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }

            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            return new(null, false, $"gh pr view timed out after {timeout.TotalSeconds:0} s");
        }

        var (output, _) = await stdout;
        var error = (await stderr).Trim();
        if (process.ExitCode != 0)
        {
            var shown = error.Length > 500 ? error[..500] : error;
            return new(null, IsRateLimit(error), $"gh pr view exited with {process.ExitCode}: {shown}");
        }

        return Parse(output);
    }

    /// <summary>gh's words for a refusal because of GitHub's primary or secondary rate limit (it exits 1 for every error).</summary>
    public static bool IsRateLimit(string stderr) => RateLimitText().IsMatch(stderr ?? string.Empty);

    internal static PullCheck Parse(string json)
    {
        GhPullView? view;
        try
        {
            view = JsonSerializer.Deserialize(json, ReviewJsonContext.Default.GhPullView);
        }
        catch (JsonException e)
        {
            return new(null, false, "gh printed something that is not the expected JSON: " + e.Message);
        }

        return view?.State?.ToUpperInvariant() switch
        {
            "MERGED" => new(PullState.Merged, false, "pull request merged" + (view.MergedAt is { } at ? $" at {at:u}" : "")),
            _ when view?.MergedAt is not null => new(PullState.Merged, false, $"pull request merged at {view.MergedAt:u}"),
            "CLOSED" => new(PullState.Closed, false, "pull request closed without merging"),
            "OPEN" => new(PullState.Open, false, "pull request open"),
            _ => new(null, false, $"gh reported an unknown pull request state '{view?.State}'"),
        };
    }

    [GeneratedRegex(@"^https?://[^/\s]+/[^/\s]+/[^/\s]+/pull/\d+/?(?:[?#].*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex PullUrl();

    [GeneratedRegex(@"rate limit|HTTP 429|too many requests", RegexOptions.IgnoreCase)]
    private static partial Regex RateLimitText();
}
