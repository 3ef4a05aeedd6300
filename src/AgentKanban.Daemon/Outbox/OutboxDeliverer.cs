using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.ServerClient;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Outbox;

/// <summary>
/// Delivers outbox items in order with capped exponential backoff (<see cref="RetryOptions.Outbox"/>).
/// An item leaves the table only after the server acknowledged it; the idempotency key makes a re-send
/// after a lost answer harmless. A refusal (4xx in our error shape) is kept, marked failed, and logged.
/// </summary>
public sealed partial class OutboxDeliverer(
    OutboxStore store,
    SessionStore sessions,
    BoardApiClient api,
    TimeProvider timeProvider,
    ILogger<OutboxDeliverer> logger,
    IJitterSource? jitter = null)
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(30);
    private readonly WakeSignal _wake = new();
    private readonly RetryPolicy _retry = new(RetryOptions.Outbox, jitter ?? RandomJitter.Shared);

    /// <summary>Raised after a pass delivered at least one item (tests and status output wait on it).</summary>
    public event Action? Delivered;

    /// <summary>Something was enqueued: deliver now rather than at the next timer.</summary>
    public void Wake() => _wake.Set();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (await DeliverDueAsync(cancellationToken) > 0)
                {
                    Delivered?.Invoke();
                }

                var next = await store.NextDueMsAsync(cancellationToken);
                var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
                var wait = next is { } due ? TimeSpan.FromMilliseconds(Math.Max(0, due - now)) : IdleWait;
                await _wake.WaitAsync(wait < IdleWait ? wait : IdleWait, timeProvider, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store itself failed (disk full?): keep the loop alive and try again shortly.
                LogLoopFailed(logger, e);
                await _wake.WaitAsync(TimeSpan.FromSeconds(5), timeProvider, cancellationToken);
            }
        }
    }

    /// <summary>One pass over the due items, in order; returns how many were delivered.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var delivered = 0;
        while (true)
        {
            var now = timeProvider.GetUtcNow();
            var batch = await store.DueAsync(now.ToUnixTimeMilliseconds(), 100, cancellationToken);
            if (batch.Count == 0)
            {
                return delivered;
            }

            foreach (var item in batch)
            {
                switch (await DeliverOneAsync(item, cancellationToken))
                {
                    case Outcome.Delivered:
                        delivered++;
                        break;
                    case Outcome.Postponed:
                        // The server is unreachable or struggling: stop here, later items would fail the same way
                        // (and must not overtake this one).
                        return delivered;
                }
            }
        }
    }

    private async Task<Outcome> DeliverOneAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        try
        {
            var bearer = await BearerForAsync(item, now, cancellationToken);
            await api.SendRawAsync(item.Method, item.Path, item.Body, item.IdempotencyKey, bearer, cancellationToken);
            // Crash point: delivered but not yet deleted → re-sent after restart; the server replays its answer.
            await store.DeliveredAsync(item.Id, cancellationToken);
            return Outcome.Delivered;
        }
        catch (ServerApiException e) when (e.IsTransient)
        {
            var decision = _retry.Decide(item.Attempts + 1, ErrorClass.Transient, now);
            var at = decision.At ?? now + RetryOptions.Outbox.MaxDelay;
            await store.RetryLaterAsync(item.Id, e.Message, at.ToUnixTimeMilliseconds(), cancellationToken);
            LogRetry(logger, item.Kind, item.Method, item.Path, item.Attempts + 1, decision.Delay, e.Message);
            return Outcome.Postponed;
        }
        catch (ServerApiException e)
        {
            await store.FailedAsync(item.Id, e.Message, now.ToUnixTimeMilliseconds(), cancellationToken);
            LogRefused(logger, item.Kind, item.Method, item.Path, (int?)e.Status, e.Message);
            return Outcome.Refused;
        }
        catch (MissingSessionKeyException e)
        {
            await store.FailedAsync(item.Id, e.Message, now.ToUnixTimeMilliseconds(), cancellationToken);
            LogRefused(logger, item.Kind, item.Method, item.Path, null, e.Message);
            return Outcome.Refused;
        }
    }

    /// <summary>Machine key by default; a fresh token signed with the session's key for the agent's own words.</summary>
    private async Task<string?> BearerForAsync(OutboxItem item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!item.SignAsSession || item.SessionId is null)
        {
            return null;
        }

        var session = await sessions.GetAsync(item.SessionId, cancellationToken)
            ?? throw new MissingSessionKeyException($"session {item.SessionId} is not in the store");
        return SessionToken.Create(session.ServerSessionId, api.Audience, session.PrivateKey, now);
    }

    private enum Outcome
    {
        Delivered,
        Postponed,
        Refused,
    }

    private sealed class MissingSessionKeyException(string message) : Exception(message);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Outbox: {Kind} {Method} {Path} failed (attempt {Attempt}), retrying in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, string kind, string method, string path, int attempt, TimeSpan delay, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Outbox: server refused {Kind} {Method} {Path} ({Status}): {Error}; kept as failed")]
    private static partial void LogRefused(ILogger logger, string kind, string method, string path, int? status, string error);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Outbox loop failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception error);
}
