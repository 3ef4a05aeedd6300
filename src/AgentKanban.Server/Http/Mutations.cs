using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Http;

/// <summary>
/// Runs one mutating request as one write transaction: the rows, their events and — when the request carries an
/// <c>Idempotency-Key</c> — the stored answer commit together, so a retried request is answered from the store and
/// never applied twice. A <see cref="DomainException"/> or <see cref="ApiException"/> thrown by the work rolls everything
/// back and is answered as its error.
/// </summary>
public sealed class Mutations(IStorageEngine store, ServerClock clock)
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public IStorageEngine Store => store;

    public ServerClock Clock => clock;

    public async Task<ApiResult> RunAsync(HttpContext http, Func<WriteTransaction, Caller, CancellationToken, Task<ApiResult>> work)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(work);
        var caller = http.GetCaller();
        var cancellationToken = http.RequestAborted;
        var key = IdempotencyKeyOf(http.Request);
        try
        {
            return await store.WriteAsync(async (tx, ct) =>
            {
                if (key is not null && await FindStoredAsync(tx.Scope, caller.IdentityKey, key, ct) is { } stored)
                {
                    return stored;
                }

                var result = await work(tx, caller, ct);
                if (key is not null && result.IsSuccess)
                {
                    await IdempotencyKeyRows.InsertAsync(tx, caller.IdentityKey, key, new(result.StatusCode, result.Body), clock.Now(), ct);
                }

                return result;
            }, cancellationToken);
        }
        catch (ApiException e)
        {
            return ApiResult.Error(e);
        }
        catch (DomainException e)
        {
            return ApiResult.Error(e);
        }
        catch (StorageException e) when (e.Failure == StorageFailure.UniqueViolation)
        {
            // A concurrent request with the same key won the race (PostgreSQL): answer with what it stored.
            if (key is not null)
            {
                if (await store.ReadAsync((db, ct) => FindStoredAsync(db, caller.IdentityKey, key, ct), cancellationToken) is { } stored)
                {
                    return stored;
                }
            }

            return ApiResult.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict,
                "a resource with the same unique name or id already exists");
        }
        catch (StorageException e) when (e.Failure == StorageFailure.ForeignKeyViolation)
        {
            return ApiResult.Error(StatusCodes.Status409Conflict, ErrorCodes.Conflict,
                "a referenced resource was changed or deleted concurrently; retry");
        }
    }

    private static string? IdempotencyKeyOf(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(IdempotencyHeader, out var values) || values.Count == 0)
        {
            return null;
        }

        var key = values.ToString().Trim();
        if (values.Count > 1 || key.Length is 0 or > 200 || key.Any(c => c is < (char)0x21 or > (char)0x7e))
        {
            throw DomainException.Validation(IdempotencyHeader, "Idempotency-Key must be 1–200 visible ASCII characters");
        }

        return key;
    }

    private static async Task<ApiResult?> FindStoredAsync(DbScope db, string identity, string key, CancellationToken cancellationToken) =>
        await IdempotencyKeyRows.FindAsync(db, identity, key, cancellationToken) is { } answer ? ApiResult.Stored(answer.StatusCode, answer.Body) : null;
}
