namespace AgentKanban.Contracts;

public sealed record LabelDto(string Name, string Color, string? Description = null);

public sealed record BoardDto(
    string Id,
    string Name,
    string Type,
    string? Description,
    IReadOnlyList<LabelDto> Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary><c>POST /api/boards</c>. <c>type</c> is <c>dev</c> (tasks need a repository) or <c>ops</c>.</summary>
public sealed record CreateBoardRequest(string? Name, string? Type, string? Description = null);

/// <summary><c>PATCH /api/boards/{id}</c>; absent fields stay as they are.</summary>
public sealed record UpdateBoardRequest(string? Name = null, string? Description = null);

/// <summary><c>POST /api/boards/{id}/labels</c>. Color is <c>#RRGGBB</c>.</summary>
public sealed record CreateLabelRequest(string? Name, string? Color, string? Description = null);

public sealed record RepositoryDto(string Id, string Name, string Url, DateTimeOffset CreatedAt);

/// <summary><c>POST /api/repositories</c>. The URL may be any git URL, <c>file://</c> URL or local path.</summary>
public sealed record CreateRepositoryRequest(string? Name, string? Url);
