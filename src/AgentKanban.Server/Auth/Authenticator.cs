using System.Collections.Concurrent;
using System.Security.Cryptography;
using AgentKanban.Contracts.Auth;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Data;
using AgentKanban.Server.Hosting;
using AgentKanban.Server.Storage;

namespace AgentKanban.Server.Auth;

/// <summary>
/// Resolves a bearer token to a <see cref="Caller"/>: <c>akp_…</c> user tokens and <c>akm_…</c> machine keys by
/// their SHA-256 hash, ES256 session JWTs by the session's registered public key (closed sessions refused).
/// </summary>
public sealed class Authenticator
{
    public const string UserTokenPrefix = "akp_";
    public const string MachineKeyPrefix = "akm_";

    private const int MaxCachedKeys = 10_000;

    private readonly IStorageEngine _store;
    private readonly ServerClock _clock;
    private readonly string[] _configuredAudiences;
    private readonly ConcurrentDictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);

    public Authenticator(IStorageEngine store, ServerClock clock, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _clock = clock;
        _configuredAudiences = options.Urls
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(NormalizeAudience)
            .ToArray();
    }

    /// <summary>The caller, or an error message for a 401.</summary>
    public async Task<(Caller? Caller, string? Error)> AuthenticateAsync(string token, string requestBaseUrl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.StartsWith(UserTokenPrefix, StringComparison.Ordinal))
        {
            var user = await FindUserAsync(Ids.Hash(token), cancellationToken);
            return user is null ? (null, "unknown or revoked user token") : (user, null);
        }

        if (token.StartsWith(MachineKeyPrefix, StringComparison.Ordinal))
        {
            var machine = await FindMachineAsync(Ids.Hash(token), cancellationToken);
            return machine is null ? (null, "unknown or revoked machine key") : (machine, null);
        }

        if (SessionToken.TryReadSubject(token, out var sessionId) && sessionId is { Length: > 0 and <= 64 } && Validate.IsStorable(sessionId))
        {
            return await AuthenticateSessionAsync(token, sessionId, requestBaseUrl, cancellationToken);
        }

        return (null, "unrecognised bearer token (expected akp_…, akm_… or a session JWT)");
    }

    private Task<Caller?> FindUserAsync(string hash, CancellationToken cancellationToken) => _store.ReadAsync(async (db, ct) =>
        await UserRows.FindByTokenHashAsync(db, hash, ct) is { } user ? UserCaller(user, viaBrowserSession: false) : null, cancellationToken);

    /// <summary>A user as a caller: a user owns itself.</summary>
    internal static Caller UserCaller(UserRows.Identity user, bool viaBrowserSession) => new()
    {
        Kind = CallerKind.User,
        Role = ActorRole.User,
        OwnerId = user.Id,
        Id = user.Id,
        Name = user.Name,
        IsAdmin = user.IsAdmin,
        ViaBrowserSession = viaBrowserSession,
    };

    private Task<Caller?> FindMachineAsync(string hash, CancellationToken cancellationToken) => _store.ReadAsync(async (db, ct) =>
        await MachineRows.FindByKeyHashAsync(db, hash, ct) is { } machine
            ? new Caller
            {
                Kind = CallerKind.Machine,
                Role = ActorRole.Machine,
                OwnerId = machine.OwnerId,
                Id = machine.Id,
                MachineId = machine.Id,
                Name = machine.Name,
            }
            : null, cancellationToken);

    private async Task<(Caller?, string?)> AuthenticateSessionAsync(string token, string sessionId, string requestBaseUrl, CancellationToken cancellationToken)
    {
        var row = await _store.ReadAsync((db, ct) => SessionRows.FindCredentialsAsync(db, sessionId, ct), cancellationToken);
        if (row is null)
        {
            return (null, "unknown session");
        }

        var (ownerId, agentId, machineId, taskId, status, epoch, publicKey, kind, username) = row;
        if (status != "active")
        {
            return (null, "session is closed");
        }

        var key = KeyFor(publicKey);
        if (key is null)
        {
            return (null, "the session's public key is unusable");
        }

        bool valid;
        string? error;
        var audienceOfRequest = NormalizeAudience(requestBaseUrl);
        // One verification per key at a time: the BCL does not promise thread safety of a shared key object.
        lock (key)
        {
            valid = SessionToken.TryValidate(token, aud => AudienceAccepted(aud, audienceOfRequest), key, _clock.TimeProvider.GetUtcNow(),
                out _, out error);
        }

        if (!valid)
        {
            return (null, "invalid session token: " + error);
        }

        return (new Caller
        {
            Kind = CallerKind.Session,
            Role = kind == "leader" ? ActorRole.Leader : ActorRole.Worker,
            OwnerId = ownerId,
            Id = sessionId,
            Name = username,
            SessionId = sessionId,
            AgentId = agentId,
            MachineId = machineId,
            TaskId = taskId,
            Epoch = epoch,
        }, null);
    }

    private bool AudienceAccepted(string audience, string requestAudience)
    {
        var normalized = NormalizeAudience(audience);
        if (string.Equals(normalized, requestAudience, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var configured in _configuredAudiences)
        {
            if (string.Equals(normalized, configured, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private ECDsa? KeyFor(string publicKey)
    {
        if (_keys.TryGetValue(publicKey, out var cached))
        {
            return cached;
        }

        ECDsa key;
        try
        {
            key = SessionToken.ImportPublicKey(publicKey);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return null;
        }

        if (_keys.Count >= MaxCachedKeys)
        {
            // Rare: forget the cache rather than grow without bound (keys are re-imported on demand).
            _keys.Clear();
        }

        return _keys.GetOrAdd(publicKey, key) is var stored && !ReferenceEquals(stored, key) ? Dispose(key, stored) : key;
    }

    private static ECDsa Dispose(ECDsa loser, ECDsa winner)
    {
        loser.Dispose();
        return winner;
    }

    private static string NormalizeAudience(string url) => url.Trim().TrimEnd('/');
}
