using AgentKanban.Agents.Process;

namespace AgentKanban.Agents.Tests.Process;

public sealed class OutputBufferTests
{
    private static OutputLine Line(int bytes, long number) => new(OutputLineKind.Line, new byte[bytes], bytes, number);

    [Fact]
    public async Task Writer_waits_when_the_line_budget_is_spent_and_resumes_when_the_consumer_takes_one()
    {
        using var buffer = new OutputBuffer(maxLines: 2, maxBytes: 1000);
        Assert.True(buffer.Write(Line(1, 1), TestContext.Current.CancellationToken));
        Assert.True(buffer.Write(Line(1, 2), TestContext.Current.CancellationToken));

        var third = Task.Factory.StartNew(() => buffer.Write(Line(1, 3), TestContext.Current.CancellationToken), TaskCreationOptions.LongRunning);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, buffer.Reader.Count);

        Assert.True(buffer.Reader.TryRead(out var first));
        Assert.Equal(1, first.Number);
        Assert.True(await third.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(2, buffer.Reader.Count);
    }

    [Fact]
    public async Task Writer_waits_when_the_byte_budget_is_spent_but_always_admits_one_line()
    {
        using var buffer = new OutputBuffer(maxLines: 100, maxBytes: 10);
        Assert.True(buffer.Write(Line(50, 1), TestContext.Current.CancellationToken)); // alone it may exceed the budget

        var second = Task.Factory.StartNew(() => buffer.Write(Line(1, 2), TestContext.Current.CancellationToken), TaskCreationOptions.LongRunning);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(second.IsCompleted);

        Assert.True(buffer.Reader.TryRead(out _));
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_waiting_writer_gives_up_when_cancelled()
    {
        using var buffer = new OutputBuffer(maxLines: 1, maxBytes: 1000);
        buffer.Write(Line(1, 1), TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource();

        var blocked = Task.Factory.StartNew(() => buffer.Write(Line(1, 2), cancel.Token), TaskCreationOptions.LongRunning);
        await cancel.CancelAsync();

        Assert.False(await blocked.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Completion_ends_the_reader_after_the_remaining_lines()
    {
        using var buffer = new OutputBuffer(10, 1000);
        buffer.Write(Line(3, 1), TestContext.Current.CancellationToken);
        buffer.Complete();

        var all = new List<OutputLine>();
        await foreach (var line in buffer.Reader.ReadAllAsync(TestContext.Current.CancellationToken))
        {
            all.Add(line);
        }

        Assert.Single(all);
        Assert.True(buffer.Reader.Completion.IsCompleted);
    }
}
