namespace AgentKanban.Core.Sessions;

/// <summary>
/// The numbers a session state is stored as. Never renumber: rows written by older builds must read
/// back as the same state. Add new states with new numbers.
/// </summary>
public enum StoredSessionState
{
    Preparing = 1,
    Active = 2,
    RateLimited = 3,
    Suspended = 4,
    InReview = 5,
    Completing = 6,
    Closed = 7,
}

/// <summary>The one place that maps session states to their stored numbers and their display names.</summary>
public static class StoredSessionStates
{
    public static IReadOnlyList<SessionState> All { get; } =
    [
        SessionState.Preparing, SessionState.Active, SessionState.RateLimited, SessionState.Suspended,
        SessionState.InReview, SessionState.Completing, SessionState.Closed,
    ];

    public static StoredSessionState ToStored(this SessionState state) => state switch
    {
        SessionState.Preparing => StoredSessionState.Preparing,
        SessionState.Active => StoredSessionState.Active,
        SessionState.RateLimited => StoredSessionState.RateLimited,
        SessionState.Suspended => StoredSessionState.Suspended,
        SessionState.InReview => StoredSessionState.InReview,
        SessionState.Completing => StoredSessionState.Completing,
        SessionState.Closed => StoredSessionState.Closed,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static int ToStoredValue(this SessionState state) => (int)state.ToStored();

    /// <summary>Reads a stored number; an unknown number (a row from a newer build) is reported, not guessed.</summary>
    public static bool TryFromStored(int value, out SessionState state)
    {
        switch ((StoredSessionState)value)
        {
            case StoredSessionState.Preparing: state = SessionState.Preparing; return true;
            case StoredSessionState.Active: state = SessionState.Active; return true;
            case StoredSessionState.RateLimited: state = SessionState.RateLimited; return true;
            case StoredSessionState.Suspended: state = SessionState.Suspended; return true;
            case StoredSessionState.InReview: state = SessionState.InReview; return true;
            case StoredSessionState.Completing: state = SessionState.Completing; return true;
            case StoredSessionState.Closed: state = SessionState.Closed; return true;
            default: state = default; return false;
        }
    }

    public static SessionState FromStored(int value) =>
        TryFromStored(value, out var state)
            ? state
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown stored session state");

    /// <summary>snake_case name for logs, <c>ak why</c> and status output.</summary>
    public static string ToName(this SessionState state) => state switch
    {
        SessionState.Preparing => "preparing",
        SessionState.Active => "active",
        SessionState.RateLimited => "rate_limited",
        SessionState.Suspended => "suspended",
        SessionState.InReview => "in_review",
        SessionState.Completing => "completing",
        SessionState.Closed => "closed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static bool TryParseName(string? name, out SessionState state)
    {
        foreach (var candidate in All)
        {
            if (candidate.ToName() == name)
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}
