using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Server.Http;

/// <summary>
/// Forgets stored idempotent answers after a day: a client retries for minutes or hours (the daemon's outbox backs off
/// up to a cap), never for days, so older keys only take space.
/// </summary>
public sealed class IdempotencyKeyCleanup(IStorageEngine store, ServerClock clock, ILogger<IdempotencyKeyCleanup> logger)
    : PeriodicJob(clock.TimeProvider, Interval)
{
    public static readonly TimeSpan KeepFor = TimeSpan.FromHours(24);

    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => CleanOnceAsync(cancellationToken);

    protected override void ReportFailure(Exception exception) => ServerLog.IdempotencyCleanupFailed(logger, exception);

    /// <summary>Deletes answers older than <see cref="KeepFor"/>; returns how many.</summary>
    public Task<int> CleanOnceAsync(CancellationToken cancellationToken) =>
        store.WriteAsync((tx, ct) => IdempotencyKeyRows.DeleteOlderThanAsync(tx, clock.Now() - KeepFor, ct), cancellationToken);
}
