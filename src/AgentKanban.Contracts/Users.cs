namespace AgentKanban.Contracts;

public sealed record UserDto(string Id, string Name, bool IsAdmin, DateTimeOffset CreatedAt);

/// <summary><c>POST /api/users</c> (admin).</summary>
public sealed record CreateUserRequest(string? Name, bool IsAdmin = false);

/// <summary>A user with its personal token (<c>akp_…</c>), shown only when it is created.</summary>
public sealed record UserWithTokenDto(UserDto User, string Token);

/// <summary>Answer of <c>GET /api/whoami</c>.</summary>
public sealed record WhoAmIDto(string Kind, string Id, string? Name, string? TaskId = null, string? SessionId = null);
