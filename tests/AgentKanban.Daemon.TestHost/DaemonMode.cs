using System.Collections;
using System.Globalization;

namespace AgentKanban.Daemon.TestHost;

/// <summary>Runs <see cref="DaemonHost.RunAsync"/> with timings shortened through <c>AK_TEST_*</c> variables.</summary>
internal static class DaemonMode
{
    public static Task<int> RunAsync(string[] args)
    {
        string? state = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--state" && i + 1 < args.Length)
            {
                state = args[++i];
            }
        }

        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = entry.Value as string;
        }

        var options = new DaemonOptions
        {
            StateDir = state,
            Environment = env,
            AkDirectory = Get(env, "AK_TEST_AK_DIR"),
            MachineName = Get(env, "AK_TEST_MACHINE_NAME"),
            LogToConsole = true,
        };
        options = options with
        {
            HeartbeatInterval = Ms(env, "AK_TEST_HEARTBEAT_MS") ?? options.HeartbeatInterval,
            PollMinInterval = Ms(env, "AK_TEST_POLL_MIN_MS") ?? options.PollMinInterval,
            PollMaxInterval = Ms(env, "AK_TEST_POLL_MAX_MS") ?? options.PollMaxInterval,
            TaskWatchInterval = Ms(env, "AK_TEST_WATCH_MS") ?? options.TaskWatchInterval,
            StallTimeout = Ms(env, "AK_TEST_STALL_MS") ?? options.StallTimeout,
            StopGracePeriod = Ms(env, "AK_TEST_GRACE_MS") ?? options.StopGracePeriod,
            ShutdownDrainTimeout = Ms(env, "AK_TEST_DRAIN_MS") ?? options.ShutdownDrainTimeout,
            UseEventStream = Get(env, "AK_TEST_NO_PUSH") != "1",
            ReviewPollInterval = Ms(env, "AK_TEST_REVIEW_POLL_MS") ?? options.ReviewPollInterval,
            GitHubRateLimitBackoff = Ms(env, "AK_TEST_GH_BACKOFF_MS") ?? options.GitHubRateLimitBackoff,
        };
        return DaemonHost.RunAsync(options, CancellationToken.None);
    }

    private static string? Get(Dictionary<string, string?> env, string name) =>
        env.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    private static TimeSpan? Ms(Dictionary<string, string?> env, string name) =>
        Get(env, name) is { } text ? TimeSpan.FromMilliseconds(double.Parse(text, CultureInfo.InvariantCulture)) : null;
}
