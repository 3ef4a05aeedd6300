using System.Diagnostics.Metrics;

namespace AgentKanban.Server.Streams;

/// <summary>
/// Counters of the live streams (meter <see cref="MeterName"/>): they show that a wake-up costs one log read per
/// instance however many clients listen, and how often slow or resuming clients fall back to the log.
/// </summary>
public static class StreamMetrics
{
    public const string MeterName = "AgentKanban.Server.Streams";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Queries the shared feed ran against the event log.</summary>
    internal static readonly Counter<long> FeedReads = Meter.CreateCounter<long>("ak.streams.feed.reads");

    /// <summary>Queries single subscribers ran because they were behind the in-memory window.</summary>
    internal static readonly Counter<long> CatchUpReads = Meter.CreateCounter<long>("ak.streams.catchup.reads");

    /// <summary><c>reset</c> frames sent: streams that resumed from an id whose successors may have been pruned.</summary>
    internal static readonly Counter<long> Resets = Meter.CreateCounter<long>("ak.streams.resets");

    /// <summary>Event frames written to clients.</summary>
    internal static readonly Counter<long> FramesSent = Meter.CreateCounter<long>("ak.streams.frames.sent");

    /// <summary>Open SSE responses.</summary>
    internal static readonly UpDownCounter<long> Subscribers = Meter.CreateUpDownCounter<long>("ak.streams.subscribers");
}
