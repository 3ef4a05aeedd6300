using System.Data.Common;
using System.Text.RegularExpressions;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
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
            if (await tx.Command("SELECT 1 FROM repositories WHERE owner_id = @o AND name = @n").Add("@o", caller.OwnerId).Add("@n", name).ScalarAsync(ct) is not null)
            {
                throw DomainException.Conflict($"a repository named '{name}' already exists", field: "name");
            }

            var repo = new RepositoryDto(Ids.New(), name, url, mutations.Clock.Now());
            await tx.Command("INSERT INTO repositories (id, owner_id, name, url, created_at) VALUES (@id, @o, @n, @u, @t)")
                .Add("@id", repo.Id).Add("@o", caller.OwnerId).Add("@n", name).Add("@u", url).Add("@t", repo.CreatedAt)
                .ExecAsync(ct);
            return ApiResult.Created(repo, ContractsJsonContext.Default.RepositoryDto);
        });
    }

    public static async Task<ApiResult> ListAsync(HttpContext http, IStorageEngine store, string? name = null, string? url = null)
    {
        var caller = http.GetCaller();
        var repos = await store.ReadAsync(async (db, ct) =>
        {
            await using var command = db.Command("SELECT id, name, url, created_at FROM repositories WHERE owner_id = @o" +
                                                 (name is null ? "" : " AND name = @n") + (url is null ? "" : " AND url = @u") +
                                                 " ORDER BY name").Add("@o", caller.OwnerId);
            if (name is not null)
            {
                command.Add("@n", name);
            }

            if (url is not null)
            {
                command.Add("@u", url.Trim().TrimEnd('/') is { Length: > 0 } u ? u : url);
            }

            var list = new List<RepositoryDto>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                list.Add(Map(reader));
            }

            return list;
        }, http.RequestAborted);
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
            var active = await tx.Command("SELECT COUNT(*) FROM tasks WHERE repository_id = @r AND status IN (@a, @b, @c)")
                .Add("@r", repo.Id).Add("@a", TaskStatusNames.Todo).Add("@b", TaskStatusNames.InProgress).Add("@c", TaskStatusNames.InReview)
                .ScalarAsync(ct);
            if (Convert.ToInt64(active, System.Globalization.CultureInfo.InvariantCulture) > 0)
            {
                throw DomainException.Conflict($"repository '{repo.Name}' is used by {active} open task(s); finish, cancel or move them first");
            }

            await tx.Command("DELETE FROM repositories WHERE id = @id").Add("@id", repo.Id).ExecAsync(ct);
            return ApiResult.NoContent();
        });
    }

    public static async Task<RepositoryDto> ReadAsync(DbScope db, string ownerId, string reference, CancellationToken cancellationToken)
    {
        var id = await Resolve.FindRepositoryAsync(db, ownerId, reference, cancellationToken)
                 ?? throw DomainException.NotFound("repository", Validate.Truncate(reference));
        await using var command = db.Command("SELECT id, name, url, created_at FROM repositories WHERE id = @id").Add("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Map(reader) : throw DomainException.NotFound("repository", id);
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

    private static RepositoryDto Map(DbDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetTime(3));

    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$")]
    private static partial Regex ScpLike();
}
