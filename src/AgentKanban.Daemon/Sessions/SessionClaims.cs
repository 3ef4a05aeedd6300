using System.Collections.Concurrent;

namespace AgentKanban.Daemon.Sessions;

/// <summary>
/// In-memory ownership of sessions inside this daemon: whoever works on a session (preparing, running,
/// resuming, cleaning up) holds its claim, so two of them never act on one session at once, and the
/// reconcile pass only touches sessions nobody holds (e.g. an active session whose run died with an error).
/// </summary>
public sealed class SessionClaims
{
    private readonly ConcurrentDictionary<string, string> _held = new(StringComparer.Ordinal);

    /// <summary>Claims the session for <paramref name="holder"/>; null when someone else holds it.</summary>
    public Claim? TryClaim(string sessionId, string holder) =>
        _held.TryAdd(sessionId, holder) ? new Claim(this, sessionId) : null;

    public bool IsHeld(string sessionId) => _held.ContainsKey(sessionId);

    public int Count => _held.Count;

    /// <summary>Releases its session once, when disposed.</summary>
    public sealed class Claim : IDisposable
    {
        private readonly SessionClaims _owner;
        private int _released;

        internal Claim(SessionClaims owner, string sessionId)
        {
            _owner = owner;
            SessionId = sessionId;
        }

        public string SessionId { get; }

        /// <summary>Hands the claim to a new owner: this instance no longer releases it; the returned one does.</summary>
        public Claim Transfer() =>
            Interlocked.Exchange(ref _released, 1) == 0
                ? new Claim(_owner, SessionId)
                : throw new InvalidOperationException($"the claim on session {SessionId} was already released or handed over");

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                _owner._held.TryRemove(SessionId, out _);
            }
        }
    }
}
