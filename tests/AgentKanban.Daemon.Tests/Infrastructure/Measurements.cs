namespace AgentKanban.Daemon.Tests.Infrastructure;

/// <summary>
/// Numbers a test measured on the way (never asserted on): written to the test's output, and appended to the file named
/// by <c>AK_MEASURE_LOG</c> when it is set, so a run can collect them.
/// </summary>
public static class Measurements
{
    public static void Report(string line)
    {
        TestContext.Current.TestOutputHelper?.WriteLine("[measure] " + line);
        if (Environment.GetEnvironmentVariable("AK_MEASURE_LOG") is { Length: > 0 } path)
        {
            File.AppendAllText(path, $"{TestContext.Current.Test?.TestDisplayName}: {line}\n");
        }
    }
}
