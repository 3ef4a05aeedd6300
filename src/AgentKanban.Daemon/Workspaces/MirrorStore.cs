using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using AgentKanban.Daemon.Git;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon.Workspaces;

/// <summary>
/// One bare mirror per repository URL under repos/&lt;hash&gt;.git. Preparations of the same repository are
/// serialised by a per-mirror lock; different repositories proceed in parallel. Waiters that queued behind a
/// fetch reuse it instead of fetching again.
/// </summary>
/// <remarks>
/// Upstream branches are fetched to refs/remotes/origin/* rather than mirrored onto refs/heads/*: a mirror
/// refspec with --prune would delete the session branches and wip refs that exist only here, and
/// remote.origin.mirror=true would turn a plain "git push" in a worktree into a push that deletes every
/// upstream branch the mirror lacks.
/// </remarks>
public sealed partial class MirrorStore(GitRunner git, WorkspaceLayout layout, WorkspaceOptions options, TimeProvider time, ILogger<MirrorStore> logger)
{
    private const string UpstreamRefspec = "+refs/heads/*:refs/remotes/origin/*";
    private const string TempMarker = ".tmp-";

    private readonly ConcurrentDictionary<string, MirrorGate> _gates = new(StringComparer.Ordinal);

    /// <summary>Where the mirror of <paramref name="repositoryUrl"/> lives (whether or not it exists yet).</summary>
    public string PathFor(string repositoryUrl) => Path.Combine(layout.Repos, GitUrl.MirrorKey(repositoryUrl) + ".git");

    /// <summary>Takes the mirror's lock, clones or fetches it, and hands back the lease; dispose it when done.</summary>
    /// <exception cref="WorkspaceException">The repository could not be cloned or fetched (<see cref="WorkspaceError.RepositoryUnavailable"/>).</exception>
    public async Task<MirrorLease> OpenAsync(string repositoryUrl, CancellationToken ct)
    {
        var url = GitUrl.Normalize(repositoryUrl);
        var path = PathFor(url);
        var gate = Gate(path);
        var askedAfter = Volatile.Read(ref gate.FetchesStarted);
        await gate.Semaphore.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(path))
            {
                await CloneAsync(gate, url, path, ct);
            }
            else if (gate.LastGoodFetch > askedAfter)
            {
                WorkspaceLog.MirrorFetchShared(logger, path);
            }
            else
            {
                await RefreshAsync(gate, url, path, ct);
            }

            return new MirrorLease(new Mirror(url, path, gate.DefaultBranchRef), gate.Semaphore);
        }
        catch
        {
            gate.Semaphore.Release();
            throw;
        }
    }

    /// <summary>Clones or fetches the mirror and returns it (the lock is released again).</summary>
    public async Task<Mirror> PrepareAsync(string repositoryUrl, CancellationToken ct)
    {
        using var lease = await OpenAsync(repositoryUrl, ct);
        return lease.Mirror;
    }

    /// <summary>The lock of an existing mirror, without fetching (removal and sweeping work on what is there).</summary>
    internal async Task<IDisposable> LockAsync(string mirrorPath, CancellationToken ct)
    {
        var gate = Gate(mirrorPath);
        await gate.Semaphore.WaitAsync(ct);
        return new MirrorLease(new Mirror("", mirrorPath, null), gate.Semaphore);
    }

    /// <summary>The mirrors on disk (published ones only; unfinished clones are not mirrors).</summary>
    internal IEnumerable<string> ListMirrorPaths() =>
        Directory.EnumerateDirectories(layout.Repos, "*.git").Where(p => !IsTemp(p)).Order(StringComparer.Ordinal);

    /// <summary>Unfinished clones left by a crash, with the mirror each belongs to.</summary>
    internal IEnumerable<(string Temp, string Mirror)> ListUnfinishedClones() =>
        Directory.EnumerateDirectories(layout.Repos)
            .Where(IsTemp)
            .Select(p => (p, p[..p.LastIndexOf(TempMarker, StringComparison.Ordinal)]));

    private MirrorGate Gate(string mirrorPath) => _gates.GetOrAdd(mirrorPath, static _ => new MirrorGate());

    private static bool IsTemp(string path) => Path.GetFileName(path).Contains(TempMarker, StringComparison.Ordinal);

    private async Task CloneAsync(MirrorGate gate, string url, string path, CancellationToken ct)
    {
        // A crash mid-clone leaves only "<mirror>.tmp-*": the mirror itself appears by one rename at the end,
        // so its existence means a complete clone. Leftovers are never published and are safe to delete.
        foreach (var (temp, mirror) in ListUnfinishedClones())
        {
            if (mirror == path)
            {
                WorkspaceLog.UnfinishedCloneRemoved(logger, temp);
                await SafeDirectories.DeleteTreeAsync(temp, ct);
            }
        }

        var staging = $"{path}{TempMarker}{Guid.NewGuid():N}";
        try
        {
            await Local(layout.Repos, ["init", "--bare", "--quiet", staging], ct);
            await Local(staging, ["config", "remote.origin.url", url], ct);
            await Local(staging, ["config", "remote.origin.fetch", UpstreamRefspec], ct);

            // Reflogs for every ref: an overwritten wip ref or a reset session branch can still be found.
            await Local(staging, ["config", "core.logAllRefUpdates", "always"], ct);
            await FetchAsync(gate, url, staging, ct);
            gate.DefaultBranchRef = await FindDefaultBranchAsync(staging, ct);

            // Crash point: before this rename the mirror does not exist (a retry starts over); after it, it is complete.
            Directory.Move(staging, path);
        }
        catch
        {
            await SafeDirectories.DeleteTreeAsync(staging, CancellationToken.None);
            throw;
        }

        var shown = GitUrl.Redact(url);
        WorkspaceLog.MirrorCloned(logger, shown, path);
    }

    private async Task RefreshAsync(MirrorGate gate, string url, string path, CancellationToken ct)
    {
        // The URL may have changed for the same repository (a rotated token in it, a moved local path).
        var current = await git.TryRunAsync(new GitInvocation(path, ["config", "--get", "remote.origin.url"]), ct);
        if (current.Trimmed != url)
        {
            await Local(path, ["config", "remote.origin.url", url], ct);
        }

        try
        {
            await FetchAsync(gate, url, path, ct);
        }
        catch (WorkspaceException e) when (e.Git is not null)
        {
            // A git killed mid-fetch (kill -9 of the daemon) leaves its ref locks behind and every later fetch
            // fails on them; clear old ones and try once more, otherwise report the failure as it was.
            if (!RemoveStaleLocks(path, e.Git.StandardErrorTail))
            {
                throw;
            }

            await FetchAsync(gate, url, path, ct);
        }

        gate.DefaultBranchRef = await FindDefaultBranchAsync(path, ct);
        var shown = GitUrl.Redact(url);
        WorkspaceLog.MirrorFetched(logger, shown, path);
    }

    private async Task FetchAsync(MirrorGate gate, string url, string path, CancellationToken ct)
    {
        var sequence = Interlocked.Increment(ref gate.FetchesStarted);
        try
        {
            // --tags brings tags along without making them subject to --prune.
            await git.RunAsync(
                new GitInvocation(path, ["fetch", "--prune", "--tags", "--quiet", "origin"]) { Timeout = options.NetworkTimeout },
                ct);
        }
        catch (GitException e)
        {
            throw new WorkspaceException(
                WorkspaceError.RepositoryUnavailable,
                $"Repository {GitUrl.Redact(url)} could not be fetched: {e.StandardErrorTail.Trim()}",
                e);
        }

        gate.LastGoodFetch = sequence;
    }

    /// <summary>refs/remotes/origin/&lt;default&gt;, or null for a repository without branches.</summary>
    private async Task<string?> FindDefaultBranchAsync(string path, CancellationToken ct)
    {
        if (await ResolveSymbolicAsync(path, ct) is { } known)
        {
            return known;
        }

        // Unknown or pruned upstream HEAD: ask the remote (one more round trip, only when needed).
        var setHead = await git.TryRunAsync(
            new GitInvocation(path, ["remote", "set-head", "origin", "--auto"]) { Timeout = options.NetworkTimeout },
            ct);
        if (setHead.Succeeded && await ResolveSymbolicAsync(path, ct) is { } asked)
        {
            return asked;
        }

        var branches = await git.RunAsync(path, ["for-each-ref", "--format=%(refname)", "refs/remotes/origin/"], ct);
        var names = branches.Trimmed.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(r => r != "refs/remotes/origin/HEAD")
            .ToList();
        return names.Count == 1
            ? names[0]
            : names.FirstOrDefault(r => r is "refs/remotes/origin/main" or "refs/remotes/origin/master");
    }

    private async Task<string?> ResolveSymbolicAsync(string path, CancellationToken ct)
    {
        var head = await git.TryRunAsync(new GitInvocation(path, ["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"]), ct);
        if (!head.Succeeded)
        {
            return null;
        }

        var target = head.Trimmed;
        var exists = await git.TryRunAsync(new GitInvocation(path, ["rev-parse", "--verify", "--quiet", target + "^{commit}"]), ct);
        return exists.Succeeded ? target : null;
    }

    /// <summary>Deletes "*.lock" files named in git's error that are older than the stale age; true if any went.</summary>
    private bool RemoveStaleLocks(string mirrorPath, string stderr)
    {
        var removed = false;
        foreach (Match match in LockFileError().Matches(stderr))
        {
            var lockPath = Path.GetFullPath(match.Groups["path"].Value);
            if (!lockPath.StartsWith(mirrorPath + "/", StringComparison.Ordinal) || !File.Exists(lockPath))
            {
                continue;
            }

            // A young lock may belong to a live git (an agent committing in its worktree): leave it.
            var age = time.GetUtcNow() - File.GetLastWriteTimeUtc(lockPath);
            if (age > options.StaleLockAge)
            {
                File.Delete(lockPath);
                WorkspaceLog.StaleLockRemoved(logger, lockPath);
                removed = true;
            }
        }

        return removed;
    }

    private Task<GitResult> Local(string workingDirectory, string[] arguments, CancellationToken ct) =>
        git.RunAsync(new GitInvocation(workingDirectory, arguments) { Timeout = options.LocalTimeout }, ct);

    [GeneratedRegex(@"Unable to create '(?<path>[^']+\.lock)': File exists")]
    private static partial Regex LockFileError();
}
