using System.Text;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Runtimes;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Contracts;

namespace AgentKanban.Agents.Tests.Codex;

/// <summary>How the runtime turns the daemon's launch spec into a Codex command line (the CLI itself is run by the integration tests).</summary>
public sealed class CodexRuntimeTests : IDisposable
{
    private const string Thread = "01a25137-0e50-7971-acf9-6eec39a86128";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static AgentLaunchSpec Spec(string workingDirectory, string? resume = null, string systemPrompt = "Protocol.", bool sandboxed = true) =>
        new(RuntimeNames.Codex, "/opt/codex", workingDirectory, "Task ID: t-1", Guid.NewGuid().ToString(), resume, "gpt-5.5", null, systemPrompt,
            new Dictionary<string, string?> { ["HOME"] = "/home/u", ["GONE"] = null }, sandboxed);

    [Fact]
    public void The_work_protocol_goes_in_as_developer_instructions_on_new_and_resumed_threads()
    {
        foreach (var resume in new[] { null, Thread })
        {
            var options = CodexRuntime.ProcessOptions(Spec(_dir.Path, resume));

            Assert.Equal("/opt/codex", options.Executable);
            Assert.Contains("developer_instructions=\"Protocol.\"", options.Arguments);
            Assert.Equal("Task ID: t-1", options.Arguments[^1]);
            Assert.Null(options.StandardInput);
            Assert.Equal(new Dictionary<string, string> { ["HOME"] = "/home/u" }, options.Environment);
        }
    }

    [Fact]
    public void A_protocol_too_long_for_an_argument_goes_before_the_prompt_of_a_new_thread()
    {
        var protocol = new string('p', CodexArgs.MaxArgumentBytes);

        var options = CodexRuntime.ProcessOptions(Spec(_dir.Path, systemPrompt: protocol));

        Assert.DoesNotContain(options.Arguments, a => a.StartsWith("developer_instructions=", StringComparison.Ordinal));
        // Together too long for an argument as well: the prompt goes on standard input.
        Assert.Equal("-", options.Arguments[^1]);
        Assert.Equal(protocol + "\n\nTask ID: t-1", Encoding.UTF8.GetString(options.StandardInput!.Value.Span));
    }

    [Fact]
    public void Outside_the_daemons_sandbox_a_linked_worktrees_git_folders_are_made_writable()
    {
        var common = Directory.CreateDirectory(Path.Combine(_dir.Path, "repo", ".git")).FullName;
        var admin = Directory.CreateDirectory(Path.Combine(common, "worktrees", "w")).FullName;
        foreach (var shared in new[] { "objects", "refs", "logs" })
        {
            Directory.CreateDirectory(Path.Combine(common, shared));
        }

        File.WriteAllText(Path.Combine(admin, "commondir"), "../..\n");
        var worktree = Directory.CreateDirectory(Path.Combine(_dir.Path, "w")).FullName;
        File.WriteAllText(Path.Combine(worktree, ".git"), $"gitdir: {admin}\n");

        Assert.Equal([admin, Path.Combine(common, "objects"), Path.Combine(common, "refs"), Path.Combine(common, "logs")], CodexGitRoots.For(worktree));
        var options = CodexRuntime.ProcessOptions(Spec(worktree, sandboxed: false));
        Assert.Contains($"sandbox_workspace_write.writable_roots=[\"{admin}\",\"{common}/objects\",\"{common}/refs\",\"{common}/logs\"]", options.Arguments);
        Assert.DoesNotContain("--dangerously-bypass-approvals-and-sandbox", options.Arguments);

        // Inside the daemon's sandbox Codex's own is off, and a plain directory has no git folders to add.
        Assert.Contains("--dangerously-bypass-approvals-and-sandbox", CodexRuntime.ProcessOptions(Spec(worktree)).Arguments);
        Assert.Empty(CodexGitRoots.For(_dir.Path));
    }

    [Fact]
    public void An_empty_prompt_is_a_launch_failure()
    {
        var spec = Spec(_dir.Path) with { Prompt = " " };

        Assert.Throws<AgentLaunchException>(() => CodexRuntime.ProcessOptions(spec));
    }

    [Fact]
    public void Is_registered_under_its_name()
    {
        Assert.Same(CodexRuntime.Instance, AgentRuntimes.Find(RuntimeNames.Codex));
        Assert.Equal("codex", CodexRuntime.Instance.ExecutableName);
    }
}
