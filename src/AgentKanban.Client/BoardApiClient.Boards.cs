using AgentKanban.Contracts;

namespace AgentKanban.Client;

public sealed partial class BoardApiClient
{
    public Task<List<BoardDto>> ListBoardsAsync(string? name, CancellationToken ct) =>
        GetAsync(WithQuery("api/boards", ("name", name)), Json.ListBoardDto, ct);

    /// <summary>By id or by name (the server accepts either).</summary>
    public Task<BoardDto> GetBoardAsync(string idOrName, CancellationToken ct) =>
        GetAsync($"api/boards/{Segment(idOrName)}", Json.BoardDto, ct);

    public Task<BoardDto> CreateBoardAsync(CreateBoardRequest request, CancellationToken ct) =>
        PostAsync("api/boards", request, Json.CreateBoardRequest, Json.BoardDto, ct);

    public Task<BoardDto> UpdateBoardAsync(string idOrName, UpdateBoardRequest request, CancellationToken ct) =>
        PatchAsync($"api/boards/{Segment(idOrName)}", request, Json.UpdateBoardRequest, Json.BoardDto, ct);

    public Task DeleteBoardAsync(string idOrName, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/boards/{Segment(idOrName)}", null, ct);

    public Task<BoardDto> AddLabelAsync(string board, CreateLabelRequest request, CancellationToken ct) =>
        PostAsync($"api/boards/{Segment(board)}/labels", request, Json.CreateLabelRequest, Json.BoardDto, ct);

    public Task DeleteLabelAsync(string board, string name, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/boards/{Segment(board)}/labels/{Segment(name)}", null, ct);

    public Task<List<RepositoryDto>> ListRepositoriesAsync(string? name, string? url, CancellationToken ct) =>
        GetAsync(WithQuery("api/repositories", ("name", name), ("url", url)), Json.ListRepositoryDto, ct);

    public Task<RepositoryDto> GetRepositoryAsync(string id, CancellationToken ct) =>
        GetAsync($"api/repositories/{Segment(id)}", Json.RepositoryDto, ct);

    public Task<RepositoryDto> CreateRepositoryAsync(CreateRepositoryRequest request, CancellationToken ct) =>
        PostAsync("api/repositories", request, Json.CreateRepositoryRequest, Json.RepositoryDto, ct);

    public Task DeleteRepositoryAsync(string id, CancellationToken ct) =>
        SendWithoutAnswerAsync(HttpMethod.Delete, $"api/repositories/{Segment(id)}", null, ct);
}
