using System.Globalization;

namespace AgentKanban.Server.Streams;

/// <summary>
/// Where a stream starts: after the client's <c>Last-Event-ID</c> header, else after <c>?last_event_id=</c>
/// (browsers cannot set the header on a first connect), else after <c>?since=</c> (0 = the whole history),
/// else at "now" (nothing already committed is replayed).
/// </summary>
/// <remarks>
/// The first two resume a client's picture, which must not have a gap: when events after the id may have been pruned the
/// stream starts with a reset instead. <c>?since=</c> (<see cref="IsReplay"/>) asks for what the log still keeps from a
/// point on, gaps included, and never gets one.
/// </remarks>
internal readonly record struct StreamStart(long? AfterId, string? InvalidField, bool IsReplay = false)
{
    public const string LastEventIdHeader = "Last-Event-ID";

    public static StreamStart From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Pick(request.Headers[LastEventIdHeader].ToString(), LastEventIdHeader) is { } fromHeader)
        {
            return fromHeader;
        }

        if (Pick(request.Query["last_event_id"].ToString(), "last_event_id") is { } fromQuery)
        {
            return fromQuery;
        }

        return Pick(request.Query["since"].ToString(), "since") is { } fromSince
            ? fromSince with { IsReplay = true }
            : new StreamStart(null, null);
    }

    /// <summary>
    /// The cursor to use given the log's latest id: a requested id above it (a log that was reset, a bogus header)
    /// is treated as "now" instead of silently waiting for ids that may never come.
    /// </summary>
    public long Resolve(long latestId) => AfterId is { } after && after <= latestId ? after : latestId;

    private static StreamStart? Pick(string raw, string field)
    {
        var text = raw.Trim();
        if (text.Length == 0)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? new StreamStart(id, null)
            : new StreamStart(null, field);
    }
}
