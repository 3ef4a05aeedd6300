using System.Globalization;
using System.Text;
using AgentKanban.Client;
using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Store;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Outbox;

/// <summary>
/// Delivers outbox items with capped exponential backoff (<see cref="RetryOptions.Outbox"/>), in order within each group
/// (a session's reports; a task's "why" notes). An item leaves the table only after the server acknowledged it; the
/// idempotency key makes a re-send after a lost answer harmless. A report that can never be delivered (see
/// <see cref="DeliveryFailures"/>; or a body over the server's limit, which is not even sent) becomes a dead letter:
/// kept with its reason and time, logged once, never sent again, and no longer holding its group up.
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
                    case Outcome.ServerDown:
                        // The server is unreachable or struggling: stop here, the other items would fail the same way.
                        // (Each group's order holds regardless: nothing of this item's group is due while it waits.)
                        return delivered;
                }
            }
        }
    }

    private async Task<Outcome> DeliverOneAsync(OutboxItem item, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (item.Body is { } body && Encoding.UTF8.GetByteCount(body) is var size && size > BoardApiClient.MaxRequestBodyBytes)
        {
            // The server refuses it (413), or past a point drops the connection, which would look like an outage forever.
            return await DeadLetterAsync(item,
                $"not sent: its body is {size.ToString(CultureInfo.InvariantCulture)} bytes and the server takes at most 1 MiB", now, false, cancellationToken);
        }

        try
        {
            var bearer = await BearerForAsync(item, now, cancellationToken);
            await api.SendRawAsync(item.Method, item.Path, item.Body, item.IdempotencyKey, bearer, cancellationToken);
            // Crash point: delivered but not yet deleted → re-sent after restart; the server replays its answer.
            await store.DeliveredAsync(item.Id, cancellationToken);
            return Outcome.Delivered;
        }
        catch (ServerApiException e)
        {
            var attempt = item.Attempts + 1;
            var decision = DeliveryFailures.Decide((int?)e.Status, e.Code, attempt);
            var answer = e.Status is { } status ? $"{(int)status} {e.Code ?? "(not the server's error shape)"}: {e.Message}" : e.Message;
            if (decision.Action == DeliveryAction.DeadLetter)
            {
                return await DeadLetterAsync(item, $"{decision.Reason} ({answer})", now, true, cancellationToken);
            }

            var retry = _retry.Decide(attempt, ErrorClass.Transient, now);
            var at = retry.At ?? now + RetryOptions.Outbox.MaxDelay;
            await store.RetryLaterAsync(item.Id, answer, at.ToUnixTimeMilliseconds(), cancellationToken);
            LogRetry(logger, item.Kind, item.Method, item.Path, attempt, retry.Delay, $"{decision.Reason} ({answer})");
            return decision.StopsPass ? Outcome.ServerDown : Outcome.RetryLater;
        }
        catch (MissingSessionKeyException e)
        {
            return await DeadLetterAsync(item, "cannot be signed: " + e.Message, now, false, cancellationToken);
        }
    }

    private async Task<Outcome> DeadLetterAsync(OutboxItem item, string reason, DateTimeOffset now, bool attempted, CancellationToken cancellationToken)
    {
        await store.DeadLetterAsync(item.Id, reason, now.ToUnixTimeMilliseconds(), attempted, cancellationToken);
        // Logged here and only here: a dead letter is never picked up again.
        LogDeadLettered(logger, item.Kind, item.Method, item.Path, item.Attempts + (attempted ? 1 : 0), reason);
        return Outcome.DeadLettered;
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
        /// <summary>Retried later; its group waits, the others go on.</summary>
        RetryLater,
        /// <summary>Retried later; the server is unreachable or struggling, so this pass ends.</summary>
        ServerDown,
        DeadLettered,
    }

    private sealed class MissingSessionKeyException(string message) : Exception(message);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Outbox: {Kind} {Method} {Path} failed (attempt {Attempt}), retrying in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, string kind, string method, string path, int attempt, TimeSpan delay, string error);

    [LoggerMessage(EventId = 4910, Level = LogLevel.Error, Message = "Outbox: {Kind} {Method} {Path} set aside as a dead letter after {Attempts} attempt(s), never to be sent again: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string kind, string method, string path, int attempts, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Outbox loop failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception error);
}
