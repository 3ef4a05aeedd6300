using AgentKanban.Core.Tasks;
using AgentKanban.Server.Data;

namespace AgentKanban.Server.Auth;

/// <summary>Reading the authenticated caller from a request, and the role checks endpoints share.</summary>
public static class CallerAccess
{
    private const string ItemKey = "ak.caller";

    /// <summary>The caller the authentication middleware resolved (every <c>/api</c> request has one).</summary>
    public static Caller GetCaller(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(ItemKey, out var value) && value is Caller caller
            ? caller
            : throw DomainException.Unauthorized("authentication required");
    }

    public static Caller? FindCaller(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(ItemKey, out var value) ? value as Caller : null;
    }

    internal static void SetCaller(this HttpContext context, Caller caller) => context.Items[ItemKey] = caller;

    /// <summary>403 unless the caller's role is one of <paramref name="roles"/>.</summary>
    public static void Require(this Caller caller, string doing, params ActorRole[] roles)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(roles);
        if (Array.IndexOf(roles, caller.Role) < 0)
        {
            throw DomainException.Forbidden(
                $"{caller.Role.ToName()} cannot {doing} (allowed: {string.Join(", ", roles.Select(r => r.ToName()))})");
        }
    }

    /// <summary>User or leader: the roles that manage the board's resources.</summary>
    public static void RequireManager(this Caller caller, string doing) => caller.Require(doing, ActorRole.User, ActorRole.Leader);

    public static void RequireMachine(this Caller caller, string doing) => caller.Require(doing, ActorRole.Machine);

    public static void RequireUser(this Caller caller, string doing) => caller.Require(doing, ActorRole.User);
}
