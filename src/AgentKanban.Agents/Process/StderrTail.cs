using System.Text;

namespace AgentKanban.Agents.Process;

/// <summary>The last bytes a child wrote to stderr (a ring buffer): enough to explain a crash, never unbounded.</summary>
internal sealed class StderrTail(int capacity)
{
    private readonly byte[] _ring = new byte[Math.Max(1, capacity)];
    private readonly Lock _gate = new();
    private long _written;

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (data.Length > _ring.Length)
            {
                // Only the last ring-full survives: account for the rest as already overwritten.
                _written += data.Length - _ring.Length;
                data = data[^_ring.Length..];
            }

            var position = (int)(_written % _ring.Length);
            var first = Math.Min(data.Length, _ring.Length - position);
            data[..first].CopyTo(_ring.AsSpan(position));
            data[first..].CopyTo(_ring);
            _written += data.Length;
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            if (_written <= _ring.Length)
            {
                return Encoding.UTF8.GetString(_ring, 0, (int)_written);
            }

            var position = (int)(_written % _ring.Length);
            var ordered = new byte[_ring.Length];
            _ring.AsSpan(position).CopyTo(ordered);
            _ring.AsSpan(0, position).CopyTo(ordered.AsSpan(_ring.Length - position));
            return Encoding.UTF8.GetString(ordered);
        }
    }
}
