namespace AgentKanban.Agents.Process;

public enum OutputLineKind
{
    /// <summary>A complete line of valid UTF-8, without its newline.</summary>
    Line,
    /// <summary>Longer than the limit: dropped unread, only its length is known.</summary>
    TooLong,
    /// <summary>Not valid UTF-8 (binary output): dropped.</summary>
    InvalidUtf8,
}

/// <summary>One line of a child's standard output, in order. <see cref="Bytes"/> is empty unless the kind is <see cref="OutputLineKind.Line"/>.</summary>
/// <param name="Length">The line's length in bytes, also for dropped lines.</param>
/// <param name="Number">1-based line number.</param>
public readonly record struct OutputLine(OutputLineKind Kind, ReadOnlyMemory<byte> Bytes, long Length, long Number);
