namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>
/// Waits for a condition the system under test reaches on its own (a daemon dispatching, an outbox draining). The
/// timeout only keeps a broken build from hanging the suite; it asserts nothing about speed.
/// </summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = TimeProvider.System.GetUtcNow() + (timeout ?? DefaultTimeout);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                last = e;
            }

            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"gave up waiting for: {what}" + (last is null ? string.Empty : $" (last error: {last.Message})"));
            }

            await Task.Delay(100);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> probe, string what, TimeSpan? timeout = null) =>
        await WaitAsync<object>(async () => await probe() ? new object() : null, what, timeout);
}
