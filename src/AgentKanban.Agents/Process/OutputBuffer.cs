using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace AgentKanban.Agents.Process;

/// <summary>
/// The channel between the reader thread and the consumer, bounded by line count and by bytes: the reader
/// blocks while the consumer is behind, so the child blocks on its own writes and memory stays bounded.
/// A single line is always let through even if it alone exceeds the byte budget.
/// </summary>
internal sealed class OutputBuffer : IDisposable
{
    private readonly Channel<OutputLine> _inner = Channel.CreateUnbounded<OutputLine>(
        new UnboundedChannelOptions { SingleWriter = true, SingleReader = false });

    private readonly Lock _gate = new();
    private readonly ManualResetEventSlim _space = new(true);
    private readonly int _maxLines;
    private readonly long _maxBytes;
    private int _lines;
    private long _bytes;

    public OutputBuffer(int maxLines, long maxBytes)
    {
        _maxLines = Math.Max(1, maxLines);
        _maxBytes = Math.Max(1, maxBytes);
        Reader = new CountingReader(this);
    }

    public ChannelReader<OutputLine> Reader { get; }

    /// <summary>Blocks the calling (reader) thread until there is room; false if cancelled.</summary>
    public bool Write(OutputLine line, CancellationToken cancellationToken)
    {
        var weight = line.Bytes.Length;
        while (true)
        {
            lock (_gate)
            {
                if (_lines == 0 || (_lines < _maxLines && _bytes + weight <= _maxBytes))
                {
                    _lines++;
                    _bytes += weight;
                    return _inner.Writer.TryWrite(line);
                }

                _space.Reset();
            }

            try
            {
                _space.Wait(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    public void Complete() => _inner.Writer.TryComplete();

    public void Dispose() => _space.Dispose();

    private void Taken(OutputLine line)
    {
        lock (_gate)
        {
            _lines--;
            _bytes -= line.Bytes.Length;
            _space.Set();
        }
    }

    private sealed class CountingReader(OutputBuffer owner) : ChannelReader<OutputLine>
    {
        public override Task Completion => owner._inner.Reader.Completion;

        public override bool CanCount => true;

        public override int Count => owner._inner.Reader.Count;

        public override bool TryRead([MaybeNullWhen(false)] out OutputLine item)
        {
            if (!owner._inner.Reader.TryRead(out item))
            {
                return false;
            }

            owner.Taken(item);
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
            owner._inner.Reader.WaitToReadAsync(cancellationToken);
    }
}
