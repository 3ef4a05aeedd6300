using AgentKanban.Core.Policies;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AgentKanban.Server.Streams;

/// <summary>
/// With PostgreSQL, other server instances commit events too: this service LISTENs on <c>ak_events</c> on a
/// dedicated connection and turns each NOTIFY (payload = the latest event id) into a local wake-up.
/// The event table stays the truth; a dropped connection is re-opened with backoff and followed by a forced read.
/// </summary>
internal sealed partial class PostgresEventListener(
    EventStreamDatabase database,
    EventBroadcaster signal,
    IOptions<EventStreamOptions> options,
    TimeProvider timeProvider,
    ILogger<PostgresEventListener> logger) : BackgroundService
{
    public const string Channel = "ak_events";

    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(250);

    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _established;

    /// <summary>Completes once the first LISTEN is in place (tests wait on it before committing elsewhere).</summary>
    public Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.PostgresConnectionString is not { } connectionString)
        {
            _listening.TrySetResult();
            return;
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // A dedicated, unpooled connection; keepalives detect a dead server while we sit in WaitAsync.
            Pooling = false,
            ApplicationName = "agent-kanban-listener",
        };
        if (builder.KeepAlive == 0)
        {
            builder.KeepAlive = 10;
        }

        // 250 ms doubling up to the configured cap; no jitter (one listener per instance, nothing to spread out).
        var retry = new RetryOptions(InitialBackoff, options.Value.ListenerMaxBackoff, MaxAttempts: 0, JitterFraction: 0);
        var failures = 0;
        var backoff = InitialBackoff;
        while (!stoppingToken.IsCancellationRequested)
        {
            _established = false;
            try
            {
                await ListenAsync(builder.ConnectionString, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                // A connection that worked and then dropped starts the backoff over.
                failures = _established ? 1 : failures + 1;
                backoff = RetryPolicy.Delay(failures, retry, jitterUnit: 0);
                LogListenFailed(logger, backoff, ex);
            }

            try
            {
                await Task.Delay(backoff, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ListenAsync(string connectionString, CancellationToken stoppingToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await using (connection.ConfigureAwait(false))
        {
            connection.Notification += OnNotification;
            await connection.OpenAsync(stoppingToken).ConfigureAwait(false);
            var command = new NpgsqlCommand($"LISTEN {Channel}", connection);
            await using (command.ConfigureAwait(false))
            {
                await command.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
            }

            LogListening(logger);
            _established = true;
            _listening.TrySetResult();

            // Whatever was committed while we were not listening was not announced to us.
            signal.Wake();
            while (true)
            {
                await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (long.TryParse(e.Payload, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var latest))
        {
            signal.Notify(latest);
        }
        else
        {
            signal.Wake();
        }
    }

    [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "Listening for events from other server instances")]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "Event listener connection lost; reconnecting in {Backoff}")]
    private static partial void LogListenFailed(ILogger logger, TimeSpan backoff, Exception exception);
}
