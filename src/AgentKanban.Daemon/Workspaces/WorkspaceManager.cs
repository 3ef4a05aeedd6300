using AgentKanban.Daemon.Git;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Workspaces;

/// <summary>
/// Creates, finds and removes session workspaces: a git worktree per session (branch "ak/&lt;short id&gt;")
/// from the repository's local mirror, or a private directory for an ops task. Every operation is
/// idempotent and may be retried after a crash at any point.
/// </summary>
public sealed partial class WorkspaceManager
{
    private readonly GitRunner _git;
    private readonly MirrorStore _mirrors;
    private readonly WorkspaceLayout _layout;
    private readonly WorkspaceOptions _options;
    private readonly SessionBranches _branches;
    private readonly WipSaver _wip;
    private readonly ILogger<WorkspaceManager> _logger;

    public WorkspaceManager(GitRunner git, MirrorStore mirrors, WorkspaceLayout layout, WorkspaceOptions options, ILogger<WorkspaceManager> logger)
    {
        _git = git;
        _mirrors = mirrors;
        _layout = layout;
        _options = options;
        _logger = logger;
        _branches = new SessionBranches(git);
        _wip = new WipSaver(git, options);
    }

    /// <summary>
    /// The session's workspace: for a repository, a worktree at worktrees/&lt;session id&gt; on the session's
    /// branch, made from the freshly fetched mirror's default branch or <paramref name="baseBranch"/>; without a
    /// repository, a 0700 directory at workspaces/&lt;session id&gt;. An existing workspace of the session is
    /// returned as it is (never reset), which is what restart recovery relies on.
    /// </summary>
    /// <exception cref="WorkspaceException">The repository, base or path could not be used; nothing half-made is left in the way of a retry.</exception>
    public async Task<Workspace> CreateAsync(string sessionId, string? repositoryUrl, string? baseBranch, CancellationToken ct)
    {
        SessionIds.Validate(sessionId);
        if (repositoryUrl is null)
        {
            return CreateOps(sessionId);
        }

        try
        {
            return await CreateWorktreeAsync(sessionId, repositoryUrl, baseBranch, ct);
        }
        catch (GitException e)
        {
            throw new WorkspaceException(WorkspaceError.GitFailed, e.Message, e);
        }
    }

    /// <summary>True when the session has a worktree or an ops directory on disk.</summary>
    public Task<bool> ExistsAsync(string sessionId, CancellationToken ct)
    {
        SessionIds.Validate(sessionId);
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Directory.Exists(_layout.WorktreePath(sessionId)) || Directory.Exists(_layout.OpsPath(sessionId)));
    }

    /// <summary>Every session workspace directory on disk, for the recovery pass to match against the store.</summary>
    public Task<IReadOnlyList<WorkspaceEntry>> ListAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        IReadOnlyList<WorkspaceEntry> entries =
        [
            .. Scan(_layout.Worktrees, WorkspaceKind.Worktree),
            .. Scan(_layout.OpsWorkspaces, WorkspaceKind.Ops),
        ];
        return Task.FromResult(entries);
    }

    private static IEnumerable<WorkspaceEntry> Scan(string directory, WorkspaceKind kind) =>
        Directory.EnumerateDirectories(directory)
            .Select(path => (path, id: Path.GetFileName(path)))
            .Where(e => SessionIds.IsValid(e.id))
            .OrderBy(e => e.id, StringComparer.Ordinal)
            .Select(e => new WorkspaceEntry(e.id, kind, e.path));

    private Workspace CreateOps(string sessionId)
    {
        var path = _layout.OpsPath(sessionId);
        var existed = Directory.Exists(path);

        // mkdir is atomic: a crash leaves either no directory or an empty one, and both are fine to reuse.
        SafeDirectories.EnsurePrivate(path);
        if (!existed)
        {
            WorkspaceLog.OpsCreated(_logger, sessionId, path);
        }

        return new Workspace(sessionId, WorkspaceKind.Ops, path) { Reused = existed };
    }

    private async Task<Workspace> CreateWorktreeAsync(string sessionId, string repositoryUrl, string? baseBranch, CancellationToken ct)
    {
        var path = _layout.WorktreePath(sessionId);
        var mirrorPath = _mirrors.PathFor(repositoryUrl);

        // Restart recovery resumes sessions in their existing worktrees: that must not depend on reaching the
        // repository's server, so an existing, complete worktree is reused without fetching.
        if (Directory.Exists(path) && Directory.Exists(mirrorPath))
        {
            using var mirrorLock = await _mirrors.LockAsync(mirrorPath, ct);
            if (TryReuse(sessionId, mirrorPath, path) is { } reused)
            {
                return reused;
            }
        }

        using var lease = await _mirrors.OpenAsync(repositoryUrl, ct);
        var mirror = lease.Mirror;
        if (TryReuse(sessionId, mirror.Path, path) is { } existing)
        {
            return existing;
        }

        var registration = WorktreeRegistrations.FindInMirror(mirror.Path, path);
        if (Directory.Exists(path))
        {
            if (registration is null && !SafeDirectories.IsEmptyOrGitLinkOnly(path))
            {
                throw new WorkspaceException(
                    WorkspaceError.Conflict,
                    $"{path} exists but is not a worktree of {GitUrl.Redact(mirror.RepositoryUrl)}; leaving it untouched.");
            }

            // A crash inside "git worktree add" (or before it registered anything): CreateAsync never returned,
            // so no agent has worked here and the directory can go.
            WorkspaceLog.IncompleteWorktreeDiscarded(_logger, sessionId, path);
            await DiscardAsync(mirror.Path, registration, path, ct);
        }

        var branch = await _branches.ClaimAsync(mirror.Path, sessionId, ct);
        var start = branch.Exists ? null : await ResolveStartAsync(mirror, baseBranch, ct);

        // A record of a worktree whose directory was deleted by hand would block "worktree add" for its path or branch.
        await Local(mirror.Path, ["worktree", "prune"], ct);

        // The worktree is added locked; the lock is lifted only when it is complete. Crash points:
        // during "add": the lock (and perhaps the branch) remain → a retry discards the directory and checks
        // the session's branch out again; after "add", before "unlock": same, nobody has used it yet.
        string[] add = branch.Exists
            ? ["worktree", "add", "--lock", "--reason", WorktreeRegistrations.CreatingLockReason, path, branch.Name]
            : ["worktree", "add", "--lock", "--reason", WorktreeRegistrations.CreatingLockReason, "--no-track", "-b", branch.Name, path, start!];
        await Local(mirror.Path, add, ct);
        // The branch's upstream is the same name on origin, so a plain `git push` (and `git push -u origin HEAD`) in the
        // worktree publishes it. Set again for an existing branch: idempotent, and older worktrees get it too.
        await Local(mirror.Path, ["config", $"branch.{branch.Name}.remote", "origin"], ct);
        await Local(mirror.Path, ["config", $"branch.{branch.Name}.merge", "refs/heads/" + branch.Name], ct);
        await Local(mirror.Path, ["worktree", "unlock", path], ct);
        WorkspaceLog.WorktreeCreated(_logger, sessionId, path, branch.Name);
        return new Workspace(sessionId, WorkspaceKind.Worktree, path) { Branch = branch.Name, MirrorPath = mirror.Path };
    }

    /// <summary>The session's complete worktree in this mirror, as it is, or null.</summary>
    private Workspace? TryReuse(string sessionId, string mirrorPath, string path)
    {
        if (!Directory.Exists(path) || WorktreeRegistrations.FindInMirror(mirrorPath, path) is not { BeingCreated: false } registration)
        {
            return null;
        }

        WorkspaceLog.WorktreeReused(_logger, sessionId, path);
        return new Workspace(sessionId, WorkspaceKind.Worktree, path)
        {
            Branch = registration.Branch,
            MirrorPath = mirrorPath,
            Reused = true,
        };
    }

    /// <summary>The commit a new session branch starts from.</summary>
    private async Task<string> ResolveStartAsync(Mirror mirror, string? baseBranch, CancellationToken ct)
    {
        if (baseBranch is null)
        {
            return mirror.DefaultBranchRef is { } known
                ? await Resolve(mirror.Path, known, ct) ?? throw Empty(mirror)
                : throw Empty(mirror);
        }

        if (baseBranch.Length == 0 || baseBranch.StartsWith('-'))
        {
            throw new WorkspaceException(WorkspaceError.BaseNotFound, $"'{baseBranch}' is not a valid base branch.");
        }

        foreach (var candidate in new[] { $"refs/remotes/origin/{baseBranch}", $"refs/tags/{baseBranch}", baseBranch })
        {
            if (await Resolve(mirror.Path, candidate, ct) is { } commit)
            {
                return commit;
            }
        }

        throw new WorkspaceException(
            WorkspaceError.BaseNotFound,
            $"Base '{baseBranch}' is not a branch, tag or commit of {GitUrl.Redact(mirror.RepositoryUrl)}.");
    }

    private async Task<string?> Resolve(string mirrorPath, string revision, CancellationToken ct)
    {
        var result = await _git.TryRunAsync(new GitInvocation(mirrorPath, ["rev-parse", "--verify", "--quiet", revision + "^{commit}"]), ct);
        return result.Succeeded ? result.Trimmed : null;
    }

    private static WorkspaceException Empty(Mirror mirror) =>
        new(WorkspaceError.EmptyRepository, $"Repository {GitUrl.Redact(mirror.RepositoryUrl)} has no branch to start from.");

    /// <summary>Drops a worktree whose creation never finished (no agent used it, nothing to save).</summary>
    private async Task DiscardAsync(string mirrorPath, WorktreeRegistration? registration, string path, CancellationToken ct)
    {
        if (registration is not null)
        {
            WorktreeRegistrations.ClearCreationLock(registration);
        }

        if (SafeDirectories.MoveAside(path, _layout.Trash) is { } trashed)
        {
            await SafeDirectories.DeleteTreeAsync(trashed, ct);
        }

        await Local(mirrorPath, ["worktree", "prune"], ct);
    }

    private Task<GitResult> Local(string workingDirectory, string[] arguments, CancellationToken ct) =>
        _git.RunAsync(new GitInvocation(workingDirectory, arguments) { Timeout = _options.LocalTimeout }, ct);
}
