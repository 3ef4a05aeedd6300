namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>
/// Waits for a condition a child process reaches on its own. The deadline only keeps a broken build from hanging
/// the run; it asserts nothing about speed.
/// </summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = TimeProvider.System.GetUtcNow() + (timeout ?? DefaultTimeout);
        while (!condition())
        {
            if (TimeProvider.System.GetUtcNow() > deadline)
            {
                Assert.Fail($"gave up waiting for: {what}");
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
