using AgentKanban.Core.Events;
using AgentKanban.Daemon.Runtimes;

namespace AgentKanban.Daemon.Tests.Runtimes;

public sealed class RuntimeUsageTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_latest_figure_per_window_is_kept_clamped_and_dropped_once_its_window_reset()
    {
        var usage = new RuntimeUsage();
        usage.Report("codex", [new UsageWindow("primary", 12, 300, Now.AddHours(2)), new UsageWindow("secondary", 140, 10080, Now.AddDays(3))]);
        usage.Report("codex", [new UsageWindow("primary", 55.5, 300, Now.AddHours(2))]);
        usage.Report("gemini", [new UsageWindow("daily", -3, null, Now.AddMinutes(-1)), new UsageWindow("per_minute", double.NaN, 1, null)]);

        var snapshot = usage.Snapshot(Now);

        Assert.Equal(
            [("codex", "primary", 55.5), ("codex", "secondary", 100.0), ("gemini", "per_minute", 0.0)],
            snapshot.Select(w => (w.Runtime, w.Label, w.Utilization)));
    }

    [Theory]
    [InlineData(0.42, "five_hour", 42.0)]
    [InlineData(1.0, "seven_day", 100.0)]
    [InlineData(null, "five_hour", null)]
    [InlineData(0.5, null, null)]
    public void A_rate_limit_report_with_utilization_is_a_window_named_after_its_limit(double? fraction, string? window, double? expected)
    {
        var usage = new RuntimeUsage();
        usage.Report("claude", new RateLimitEvent(RateLimitStatus.Allowed, Now.AddHours(1), window, false, null, null, fraction));

        var figure = usage.Snapshot(Now).SingleOrDefault();
        Assert.Equal(expected, figure?.Utilization);
        if (expected is not null)
        {
            Assert.Equal(window, figure!.Label);
            Assert.Equal(Now.AddHours(1), figure.ResetsAt);
        }
    }
}
