using System.Diagnostics;
using System.Globalization;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>Latency samples (Stopwatch ticks) and their percentiles in milliseconds.</summary>
internal sealed class SseStats
{
    private readonly List<long> _samples = [];

    public int Count => _samples.Count;

    public void AddRange(IEnumerable<long> ticks)
    {
        lock (_samples)
        {
            _samples.AddRange(ticks);
        }
    }

    public double PercentileMs(double percentile)
    {
        if (_samples.Count == 0)
        {
            return double.NaN;
        }

        _samples.Sort();
        var rank = (int)Math.Ceiling(percentile / 100.0 * _samples.Count) - 1;
        var ticks = _samples[Math.Clamp(rank, 0, _samples.Count - 1)];
        return ticks * 1000.0 / Stopwatch.Frequency;
    }

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"n={Count} p50={PercentileMs(50):F2} ms p90={PercentileMs(90):F2} ms p99={PercentileMs(99):F2} ms max={PercentileMs(100):F2} ms");
}
