using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Auth;

/// <summary>
/// Browser sessions of the web board. Signing in with a personal token mints an opaque random session id for the
/// cookie; the database keeps only its SHA-256 hash (like every other secret), so a copy of the database cannot be
/// replayed as a cookie. Sessions expire after <see cref="Lifetime"/>; signing out deletes the row.
/// </summary>
public sealed class WebSessions(IStorageEngine store, ServerClock clock, Authenticator authenticator)
{
    public const string CookieName = "ak_session";

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    /// <summary>Signs a user in with a personal token; returns the new session id (cookie value), or null for a bad token.</summary>
    public async Task<string?> SignInAsync(string token, string requestBaseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        // Only personal tokens open a browser session: machine keys and agent JWTs are not people.
        if (!token.StartsWith(Authenticator.UserTokenPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var (caller, _) = await authenticator.AuthenticateAsync(token, requestBaseUrl, cancellationToken);
        if (caller is not { Kind: CallerKind.User })
        {
            return null;
        }

        var sessionId = Ids.NewSecret("aks_");
        var now = clock.Now();
        await store.WriteAsync((tx, ct) => WebSessionRows.InsertAsync(tx, Ids.Hash(sessionId), caller.Id, now, now + Lifetime, ct), cancellationToken);
        return sessionId;
    }

    /// <summary>The user behind a session cookie, or null when it is unknown or expired.</summary>
    public Task<Caller?> FindAsync(string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        if (sessionId.Length is 0 or > 200 || !Validate.IsStorable(sessionId))
        {
            return Task.FromResult<Caller?>(null);
        }

        var hash = Ids.Hash(sessionId);
        var now = clock.Now();
        return store.ReadAsync(async (db, ct) =>
            await WebSessionRows.FindUserAsync(db, hash, now, ct) is { } user ? Authenticator.UserCaller(user, viaBrowserSession: true) : null,
            cancellationToken);
    }

    /// <summary>Ends a session (idempotent).</summary>
    public Task SignOutAsync(string sessionId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        var hash = Ids.Hash(sessionId);
        return store.WriteAsync((tx, ct) => WebSessionRows.DeleteAsync(tx, hash, ct), cancellationToken);
    }
}
