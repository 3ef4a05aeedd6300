using System.Threading.Channels;

namespace AgentKanban.Daemon.Infrastructure;

/// <summary>
/// An auto-reset wake-up for a background loop: <see cref="Set"/> never blocks and coalesces; <see cref="WaitAsync"/>
/// returns when set or when the timeout (measured on the given <see cref="TimeProvider"/>) passes.
/// </summary>
public sealed class WakeSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    public void Set() => _channel.Writer.TryWrite(true);

    /// <summary>True when woken, false on timeout.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (_channel.Reader.TryRead(out _))
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var woken = _channel.Reader.WaitToReadAsync(linked.Token).AsTask();
        var delay = Task.Delay(timeout, timeProvider, linked.Token);
        var first = await Task.WhenAny(woken, delay);
        await linked.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return first == woken && _channel.Reader.TryRead(out _);
    }
}
