namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>An in-process <c>ak</c> still running, with its live output.</summary>
public sealed record RunningCli(Task<CliResult> Completion, ObservableWriter Out, ObservableWriter Err)
{
    /// <summary>Waits for some output, or fails early (with the output) if the command ends first.</summary>
    public async Task WhenWrittenAsync(string text)
    {
        var seen = Out.WhenWrittenAsync(text);
        var first = await Task.WhenAny(seen, Completion);
        if (first != seen)
        {
            Assert.Fail($"ended before writing '{text}':\n{await Completion}");
        }
    }
}
