using System.Text;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Process;
using AgentKanban.Agents.Tests.Support;

namespace AgentKanban.Agents.Tests.Process;

/// <summary>Live input: the child's stdin stays open for more lines while it runs, and ends when closed.</summary>
public sealed class StandardInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Lines_written_while_the_child_runs_reach_it_in_order_and_closing_ends_its_input()
    {
        var first = ClaudeArgs.StreamJsonUserMessage("the prompt", "s-1", Guid.NewGuid());
        var options = FakeAgentCli.Options(_dir.Path, "echo-stdin") with { StandardInput = first, KeepStandardInputOpen = true };
        await using var process = AgentProcess.Start(options);

        // The prompt arrives, and the child is still running: its input is open.
        Assert.Contains("the prompt", await NextLineAsync(process), StringComparison.Ordinal);
        Assert.True(process.InputOpen);
        Assert.False(process.Exited.IsCompleted);

        // Each later line arrives while it runs, in order.
        Assert.True(await process.WriteInputAsync(Encoding.UTF8.GetBytes("second\n"), Ct));
        Assert.Equal("second", await NextLineAsync(process));
        Assert.True(await process.WriteInputAsync(Encoding.UTF8.GetBytes("third\n"), Ct));
        Assert.True(await process.WriteInputAsync(Encoding.UTF8.GetBytes("fourth\n"), Ct));
        Assert.Equal("third", await NextLineAsync(process));
        Assert.Equal("fourth", await NextLineAsync(process));

        // Closing is end of file for the child (echo-stdin then exits); nothing more can be written.
        process.CloseInput();
        Assert.False(process.InputOpen);
        Assert.False(await process.WriteInputAsync(Encoding.UTF8.GetBytes("too late\n"), Ct));
        Assert.True((await process.Exited.WaitAsync(Processes.Patience, Ct)).Succeeded);
        Assert.Empty(await Processes.ReadAllAsync(process));
    }

    [Fact]
    public async Task Without_keep_open_the_input_is_written_then_closed_and_no_more_can_be_written()
    {
        var options = FakeAgentCli.Options(_dir.Path, "echo-stdin") with { StandardInput = Encoding.UTF8.GetBytes("only\n") };
        await using var process = AgentProcess.Start(options);

        var lines = await Processes.ReadAllAsync(process);
        Assert.Equal(["only"], lines.Select(Processes.Text));
        Assert.False(process.InputOpen);
        Assert.False(await process.WriteInputAsync(Encoding.UTF8.GetBytes("more\n"), Ct));
    }

    [Fact]
    public async Task A_child_without_piped_input_takes_none()
    {
        await using var process = AgentProcess.Start(FakeAgentCli.Options(_dir.Path, "line", "x"));
        Assert.False(process.InputOpen);
        Assert.False(await process.WriteInputAsync(Encoding.UTF8.GetBytes("nobody reads\n"), Ct));
        await Processes.ReadAllAsync(process);
    }

    [Fact]
    public async Task Writing_to_a_child_that_exited_fails_instead_of_blocking()
    {
        var options = FakeAgentCli.Options(_dir.Path, "exit", "0") with { KeepStandardInputOpen = true };
        await using var process = AgentProcess.Start(options);
        await process.Exited.WaitAsync(Processes.Patience, Ct);

        // The reader end is gone: the write fails (EPIPE) and input counts as closed from then on.
        Assert.False(await process.WriteInputAsync(Encoding.UTF8.GetBytes("anyone?\n"), Ct));
        Assert.False(process.InputOpen);
    }

    [Fact]
    public async Task A_child_that_never_reads_cannot_stall_the_writer_or_disposal()
    {
        var options = FakeAgentCli.Options(_dir.Path, "hang") with { KeepStandardInputOpen = true };
        var process = AgentProcess.Start(options);

        // More than a pipe holds: the write cannot finish while the child does not read, and the caller is not blocked.
        var big = new byte[4 * 1024 * 1024];
        Array.Fill(big, (byte)'x');
        var write = process.WriteInputAsync(big, Ct);
        Assert.False(write.IsCompleted);

        // Disposal stops the child and gives up the write.
        await process.DisposeAsync();
        Assert.False(await write.WaitAsync(Processes.Patience, Ct));
    }

    private static async Task<string> NextLineAsync(AgentProcess process)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(Processes.Patience);
        return Processes.Text(await process.Output.ReadAsync(timeout.Token));
    }
}
