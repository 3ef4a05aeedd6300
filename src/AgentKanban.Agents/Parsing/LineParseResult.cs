namespace AgentKanban.Agents.Parsing;

/// <summary>What became of one output line.</summary>
public enum LineOutcome
{
    /// <summary>The line produced at least one event.</summary>
    Events,
    /// <summary>A well-formed line with nothing to report (partial stream messages, prompt echoes, …).</summary>
    Ignored,
    /// <summary>The line could not be understood; see <see cref="LineParseResult.Reason"/>. Logged, never fatal.</summary>
    Skipped,
}

public enum LineReason
{
    None,
    Blank,
    /// <summary>A partial-message stream event; the complete message follows as its own line.</summary>
    PartialMessage,
    /// <summary>Understood, but carries nothing the daemon uses.</summary>
    NothingToReport,
    /// <summary>A rate-limit error already reported by a structured rate-limit event in the same turn.</summary>
    RateLimitAlreadyReported,
    /// <summary>Not a JSON object.</summary>
    NotAnObject,
    /// <summary>Broken JSON (or text that is not valid UTF-8 where a string had to be read).</summary>
    Malformed,
    /// <summary>A JSON object without a <c>type</c>.</summary>
    MissingType,
    /// <summary>A message type this build does not know.</summary>
    UnknownType,
    /// <summary>The line was longer than the reader's limit and was dropped unread.</summary>
    TooLong,
    /// <summary>The line was not valid UTF-8 (binary output).</summary>
    InvalidUtf8,
}

/// <summary>
/// The result of parsing one line. A struct with no allocation unless <see cref="Detail"/> is set,
/// which happens only for skipped lines.
/// </summary>
public readonly record struct LineParseResult(LineOutcome Outcome, int EventCount, LineReason Reason, string? Detail)
{
    public static LineParseResult Produced(int count) => new(LineOutcome.Events, count, LineReason.None, null);

    public static LineParseResult Ignore(LineReason reason) => new(LineOutcome.Ignored, 0, reason, null);

    public static LineParseResult Skip(LineReason reason, string? detail = null) => new(LineOutcome.Skipped, 0, reason, detail);
}
