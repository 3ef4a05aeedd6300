using AgentKanban.Contracts;

namespace AgentKanban.Cli.Apply;

/// <summary>One document of an apply file, checked and turned into API requests (nothing sent yet).</summary>
public abstract record ApplyStep(string Where)
{
    /// <summary>Update when an id is given, create otherwise.</summary>
    public abstract string? Id { get; }
}

public sealed record BoardStep(string Where, string? Id, CreateBoardRequest? Create, UpdateBoardRequest? Update, IReadOnlyList<CreateLabelRequest> Labels)
    : ApplyStep(Where)
{
    public override string? Id { get; } = Id;
}

public sealed record TaskStep(string Where, string? Id, CreateTaskRequest? Create, UpdateTaskRequest? Update) : ApplyStep(Where)
{
    public override string? Id { get; } = Id;
}

public sealed record AgentStep(string Where, string? Id, CreateAgentRequest? Create, UpdateAgentRequest? Update) : ApplyStep(Where)
{
    public override string? Id { get; } = Id;
}

public sealed record RepoStep(string Where, string? Id, CreateRepositoryRequest Create) : ApplyStep(Where)
{
    public override string? Id { get; } = Id;
}

public sealed record LabelStep(string Where, string Board, CreateLabelRequest Create) : ApplyStep(Where)
{
    public override string? Id => null;
}
