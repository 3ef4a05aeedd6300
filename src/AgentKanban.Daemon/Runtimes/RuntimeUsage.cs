using System.Collections.Concurrent;
using AgentKanban.Contracts;
using AgentKanban.Core.Events;

namespace AgentKanban.Daemon.Runtimes;

/// <summary>
/// The latest usage windows each runtime's provider reported (Codex's primary and secondary windows, Claude's utilization
/// of the window a rate-limit report names), for the heartbeat and so the machines page. In memory only: the next run
/// reports them again, and a stale figure is worse than none.
/// </summary>
public sealed class RuntimeUsage
{
    private readonly ConcurrentDictionary<(string Runtime, string Window), UsageWindowDto> _windows = new();

    public void Report(string runtime, IEnumerable<UsageWindow> windows)
    {
        ArgumentNullException.ThrowIfNull(windows);
        foreach (var window in windows)
        {
            var used = double.IsFinite(window.UsedPercent) ? Math.Clamp(window.UsedPercent, 0, 100) : 0;
            _windows[(runtime, window.Name)] = new UsageWindowDto(runtime, window.Name, used, window.ResetsAt);
        }
    }

    /// <summary>
    /// A rate-limit report that carries the provider's utilization (Claude's unified headers, a fraction of the window)
    /// counts as a usage window named after the window it describes.
    /// </summary>
    public void Report(string runtime, RateLimitEvent limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        if (limit.Utilization is { } fraction && limit.RateLimitType is { Length: > 0 } window)
        {
            Report(runtime, [new UsageWindow(window, fraction * 100, null, limit.ResetsAt)]);
        }
    }

    /// <summary>Every window known, with windows whose reset has passed left out (their figure no longer holds).</summary>
    public IReadOnlyList<UsageWindowDto> Snapshot(DateTimeOffset now) =>
        [.. _windows.Values.Where(w => w.ResetsAt is not { } reset || reset > now).OrderBy(w => w.Runtime, StringComparer.Ordinal).ThenBy(w => w.Label, StringComparer.Ordinal)];
}
