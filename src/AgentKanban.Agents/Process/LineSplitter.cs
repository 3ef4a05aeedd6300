using System.Text.Unicode;

namespace AgentKanban.Agents.Process;

/// <summary>
/// Cuts a byte stream into lines with bounded memory: a line longer than the limit is not kept — the
/// splitter counts its bytes until the next newline and reports it as too long. Lines that are not valid
/// UTF-8 are reported, not delivered. A final line without a newline is delivered at the end of the stream.
/// </summary>
internal sealed class LineSplitter(int maxLineBytes, Action<OutputLine> emit)
{
    private byte[] _buffer = new byte[Math.Min(64 * 1024, Math.Max(maxLineBytes, 1))];
    private int _length;
    private bool _discarding;
    private long _discardedLength;
    private long _lineNumber;

    public void Feed(ReadOnlySpan<byte> chunk)
    {
        while (!chunk.IsEmpty)
        {
            var newline = chunk.IndexOf((byte)'\n');
            var part = newline < 0 ? chunk : chunk[..newline];
            Append(part);
            if (newline < 0)
            {
                return;
            }

            EndLine();
            chunk = chunk[(newline + 1)..];
        }
    }

    /// <summary>The stream ended: deliver an unterminated last line, if any.</summary>
    public void Complete()
    {
        if (_discarding || _length > 0)
        {
            EndLine();
        }
    }

    private void Append(ReadOnlySpan<byte> part)
    {
        if (_discarding)
        {
            _discardedLength += part.Length;
            return;
        }

        if ((long)_length + part.Length > maxLineBytes)
        {
            // Too long: stop keeping it and give the memory back.
            _discarding = true;
            _discardedLength = _length + part.Length;
            _length = 0;
            if (_buffer.Length > 64 * 1024)
            {
                _buffer = new byte[64 * 1024];
            }

            return;
        }

        if (_length + part.Length > _buffer.Length)
        {
            var grown = new byte[Math.Min(Math.Max(_buffer.Length * 2, _length + part.Length), maxLineBytes)];
            _buffer.AsSpan(0, _length).CopyTo(grown);
            _buffer = grown;
        }

        part.CopyTo(_buffer.AsSpan(_length));
        _length += part.Length;
    }

    private void EndLine()
    {
        _lineNumber++;
        if (_discarding)
        {
            emit(new OutputLine(OutputLineKind.TooLong, ReadOnlyMemory<byte>.Empty, _discardedLength, _lineNumber));
            _discarding = false;
            _discardedLength = 0;
            return;
        }

        var line = _buffer.AsSpan(0, _length);
        emit(Utf8.IsValid(line)
            ? new OutputLine(OutputLineKind.Line, line.ToArray(), _length, _lineNumber)
            : new OutputLine(OutputLineKind.InvalidUtf8, ReadOnlyMemory<byte>.Empty, _length, _lineNumber));
        _length = 0;
    }
}
