using System.Text.RegularExpressions;
using AgentKanban.Contracts;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>Repositories that dev-board tasks work in: any git URL, a <c>file://</c> URL or an absolute local path.</summary>
public static partial class RepositoriesApi
{
    private static readonly string[] UrlSchemes = ["https", "http", "ssh", "git", "file"];

    public static IEndpointRouteBuilder MapRepositoriesApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var repos = app.MapGroup("/api/repositories");
        repos.MapPost("", CreateAsync);
        repos.MapGet("", ListAsync);
        repos.MapGet("/{id}", GetAsync);
        repos.MapDelete("/{id}", DeleteAsync);
        return app;
    }

    public static async Task<ApiResult> CreateAsync(HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("create repositories");
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.CreateRepositoryRequest, optional: false, http.RequestAborted);
        var url = NormalizeUrl(body!.Url);
        var name = body.Name is null ? Validate.Name("name", DefaultName(url)) : Validate.Name("name", body.Name);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            if (await RepositoryRows.NameTakenAsync(tx.Scope, caller.OwnerId, name, ct))
            {
                throw DomainException.Conflict($"a repository named '{name}' already exists", field: "name");
            }

            var repo = new RepositoryDto(Ids.New(), name, url, mutations.Clock.Now());
            await RepositoryRows.InsertAsync(tx, caller.OwnerId, repo, ct);
            return ApiResult.Created(repo, ContractsJsonContext.Default.RepositoryDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, string? name = null, string? url = null)
    {
        var caller = http.GetCaller();
        // A URL filter matches the stored (normalised) form: no surrounding blanks, no trailing slash.
        var urlFilter = url is null ? null : url.Trim().TrimEnd('/') is { Length: > 0 } u ? u : url;
        var repos = await store.ReadAsync((db, ct) => RepositoryRows.ListAsync(db, caller.OwnerId, name, urlFilter, ct), http.RequestAborted);
        return ApiResult.Ok(repos, ContractsJsonContext.Default.ListRepositoryDto);
    }

    public static async Task<ApiResult> GetAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var repo = await store.ReadAsync((db, ct) => ReadAsync(db, caller.OwnerId, id, ct), http.RequestAborted);
        return ApiResult.Ok(repo, ContractsJsonContext.Default.RepositoryDto);
    }

    public static async Task<ApiResult> DeleteAsync(string id, HttpContext http, Mutations mutations)
    {
        http.GetCaller().RequireManager("delete repositories");
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var repo = await ReadAsync(tx.Scope, caller.OwnerId, id, ct);
            var active = await TaskRows.CountOpenInRepositoryAsync(tx.Scope, repo.Id, ct);
            if (active > 0)
            {
                throw DomainException.Conflict($"repository '{repo.Name}' is used by {active} open task(s); finish, cancel or move them first");
            }

            await RepositoryRows.DeleteAsync(tx, repo.Id, ct);
            return ApiResult.NoContent();
        });
    }

    private static async Task<RepositoryDto> ReadAsync(DbScope db, string ownerId, string reference, CancellationToken cancellationToken)
    {
        var id = await Resolve.FindRepositoryAsync(db, ownerId, reference, cancellationToken)
                 ?? throw DomainException.NotFound("repository", Validate.Truncate(reference));
        return await RepositoryRows.GetAsync(db, id, cancellationToken) ?? throw DomainException.NotFound("repository", id);
    }

    /// <summary>Accepts <c>scheme://…</c> git URLs, scp-like <c>user@host:path</c> and absolute paths; trims trailing slashes.</summary>
    public static string NormalizeUrl(string? value)
    {
        var url = Validate.Name("url", value, 2000);
        if (url.Length > 1)
        {
            url = url.TrimEnd('/');
        }

        var ok = url.StartsWith('/')
                 || ScpLike().IsMatch(url)
                 || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && UrlSchemes.Contains(uri.Scheme) && (uri.Scheme == "file" || uri.Host.Length > 0));
        if (!ok)
        {
            throw DomainException.Validation("url", "'url' must be a git URL (https://…, ssh://…, git@host:owner/repo), a file:// URL or an absolute local path");
        }

        return url;
    }

    private static string DefaultName(string url)
    {
        var last = url.TrimEnd('/');
        var cut = last.LastIndexOfAny(['/', ':']);
        last = cut >= 0 ? last[(cut + 1)..] : last;
        return last.EndsWith(".git", StringComparison.Ordinal) ? last[..^4] : last;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$")]
    private static partial Regex ScpLike();
}
