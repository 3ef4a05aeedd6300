using AgentKanban.Daemon.Git;

namespace AgentKanban.Daemon.Tests.Workspaces;

public sealed class GitRunnerTests : IDisposable
{
    private readonly WorkspaceTestEnvironment _env = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _env.Dispose();

    [Fact]
    public async Task A_failing_command_is_a_typed_error_with_exit_code_and_stderr()
    {
        var error = await Assert.ThrowsAsync<GitException>(
            () => _env.Git.RunAsync(_env.Root, ["rev-parse", "--verify", "no-such-ref"], Ct));

        Assert.Equal(GitFailureKind.ExitCode, error.Kind);
        Assert.Equal(128, error.ExitCode);
        Assert.Contains("not a git repository", error.StandardErrorTail, StringComparison.Ordinal);
        Assert.StartsWith("git rev-parse --verify no-such-ref failed with exit code 128", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arguments_are_passed_as_they_are_without_a_shell()
    {
        var source = await _env.CreateSourceAsync();
        const string Message = "quotes ' \" $HOME `id` ; | & and\nnewlines";
        await _env.GitAsync(source, "commit", "--quiet", "--allow-empty", "--no-gpg-sign", "-m", Message);

        var result = await _env.Git.RunAsync(source, ["log", "-1", "--format=%B"], Ct);

        Assert.Equal(Message, result.Trimmed);
    }

    [Fact]
    public async Task Output_beyond_the_cap_is_dropped_and_flagged()
    {
        var source = await _env.CreateSourceAsync();
        await File.WriteAllTextAsync(Path.Combine(source, "big.txt"), new string('x', 1_000_000), Ct);
        var blob = (await _env.Git.RunAsync(source, ["hash-object", "-w", "big.txt"], Ct)).Trimmed;

        var capped = await _env.Git.RunAsync(new GitInvocation(source, ["cat-file", "blob", blob]) { MaxOutputBytes = 1000 }, Ct);
        var full = await _env.Git.RunAsync(source, ["cat-file", "blob", blob], Ct);

        Assert.True(capped.OutputTruncated);
        Assert.Equal(1000, capped.StandardOutput.Length);
        Assert.False(full.OutputTruncated);
        Assert.Equal(1_000_000, full.StandardOutput.Length);
    }

    [Fact]
    public async Task Environment_overrides_apply_and_a_null_value_removes_a_variable()
    {
        var result = await _env.Git.RunAsync(
            new GitInvocation(_env.Root, ["var", "GIT_AUTHOR_IDENT"])
            {
                Environment = new Dictionary<string, string?>
                {
                    ["GIT_AUTHOR_NAME"] = "Runner Test",
                    ["GIT_AUTHOR_EMAIL"] = "runner@example.invalid",
                    ["GIT_DIR"] = null,
                },
            },
            Ct);

        Assert.StartsWith("Runner Test <runner@example.invalid>", result.Trimmed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_kills_a_hung_git_and_its_helpers()
    {
        await using var server = new LoopbackHttpServer(hang: true);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = _env.Git.RunAsync(_env.Root, ["ls-remote", server.Url("repo.git")], cancel.Token);

        await server.Connected.WaitAsync(Ct);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        // The HTTP connection belongs to git-remote-http, a child of git: it closes only if the child died too.
        await server.ClientGone.WaitAsync(Ct);
    }

    [Fact]
    public async Task A_timeout_kills_git_and_is_reported_as_such()
    {
        await using var server = new LoopbackHttpServer(hang: true);

        var error = await Assert.ThrowsAsync<GitException>(() => _env.Git.RunAsync(
            new GitInvocation(_env.Root, ["ls-remote", server.Url("repo.git")]) { Timeout = TimeSpan.FromSeconds(1) },
            Ct));

        Assert.Equal(GitFailureKind.TimedOut, error.Kind);
        Assert.Equal(-1, error.ExitCode);
    }

    [Fact]
    public async Task A_missing_git_executable_is_a_typed_error()
    {
        var runner = new GitRunner(
            new GitRunnerOptions { Executable = Path.Combine(_env.Root, "no-git-here") },
            TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<GitRunner>.Instance);

        var error = await Assert.ThrowsAsync<GitException>(() => runner.RunAsync(_env.Root, ["version"], Ct));

        Assert.Equal(GitFailureKind.NotStarted, error.Kind);
    }
}
