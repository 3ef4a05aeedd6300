using System.Text;
using AgentKanban.Agents.Copilot;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.Copilot;

public sealed class CopilotSessionFilesTests
{
    private static readonly TokenUsage OneCall = new(60, 7, 40, 0);

    [Fact]
    public void Recorded_session_log_sums_its_usage_records_with_cache_reads_apart()
    {
        Assert.Equal(new TokenUsage(180, 21, 120, 0), Sum(CopilotRecorded.SessionLog));
    }

    public static TheoryData<string, string, TokenUsage> Logs => new()
    {
        { "empty", "", TokenUsage.Zero },
        { "no records", """{"type":"session.start","data":{"sessionId":"s"}}""" + "\n", TokenUsage.Zero },
        {
            "one record, no trailing newline",
            """{"type":"session.usage_record","data":{"usage":{"model":"m","inputTokens":100,"outputTokens":7,"cacheReadTokens":40,"cacheWriteTokens":3}}}""",
            new TokenUsage(60, 7, 40, 3)
        },
        {
            "a record cut off by a kill counts nothing",
            """{"type":"session.usage_record","data":{"usage":{"model":"m","inputTokens":100,"outputTokens":7,"cacheReadTokens":40,"cacheWriteTokens":0}}}""" + "\n"
                + """{"type":"session.usage_record","data":{"usage":{"model":"m","inputTok""",
            OneCall
        },
        {
            "a message quoting the record type is not a record",
            """{"type":"user.message","data":{"content":"what is \"session.usage_record\"?","usage":{"inputTokens":999}}}""" + "\n",
            TokenUsage.Zero
        },
        {
            "garbage lines between records",
            "not json\n" + """{"type":"session.usage_record","data":{"usage":{"inputTokens":10,"outputTokens":1,"cacheReadTokens":0,"cacheWriteTokens":0}}}""" + "\n\u00ff\u00fe\n"
                + """{"type":"session.usage_record","data":{"usage":{"inputTokens":-5,"outputTokens":"x"}}}""" + "\n",
            new TokenUsage(10, 1, 0, 0)
        },
    };

    [Theory]
    [MemberData(nameof(Logs))]
    public void Session_log_usage(string name, string log, TokenUsage expected)
    {
        Assert.True(expected == Sum(log), name);
    }

    [Fact]
    public void Lines_longer_than_the_read_buffer_are_read_whole()
    {
        var longLine = """{"type":"tool.execution_complete","data":{"result":{"content":" """ + new string('x', 300_000) + "\"}}}\n";
        var record = """{"type":"session.usage_record","data":{"usage":{"inputTokens":100,"outputTokens":7,"cacheReadTokens":40,"cacheWriteTokens":0}}}""" + "\n";
        Assert.Equal(OneCall + OneCall, Sum(record + longLine + record + longLine));
    }

    public static TheoryData<TokenUsage, TokenUsage, TokenUsage> Deltas => new()
    {
        // A new session: everything is this run's.
        { TokenUsage.Zero, new TokenUsage(120, 14, 80, 0), new TokenUsage(120, 14, 80, 0) },
        // A resume: only what was added.
        { new TokenUsage(120, 14, 80, 0), new TokenUsage(180, 21, 120, 0), OneCall },
        // A log that shrank (rewritten by the CLI): nothing, never a negative count.
        { new TokenUsage(180, 21, 120, 5), new TokenUsage(60, 7, 40, 0), TokenUsage.Zero },
    };

    [Theory]
    [MemberData(nameof(Deltas))]
    public void Run_usage_is_the_growth_of_the_session_total(TokenUsage before, TokenUsage after, TokenUsage expected)
    {
        Assert.Equal(expected, CopilotSessionFiles.Delta(before, after));
    }

    [Fact]
    public void A_missing_log_is_zero()
    {
        Assert.Equal(TokenUsage.Zero, CopilotSessionFiles.ReadUsage(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "events.jsonl")));
    }

    public static TheoryData<string?, string?, string?> Homes => new()
    {
        { "/custom/copilot", "/home/u", "/custom/copilot" },
        { null, "/home/u", "/home/u/.copilot" },
        { " ", "/home/u", "/home/u/.copilot" },
        { null, null, null },
    };

    [Theory]
    [MemberData(nameof(Homes))]
    public void The_clis_home_is_COPILOT_HOME_else_dot_copilot_in_HOME(string? copilotHome, string? home, string? expected)
    {
        var environment = new Dictionary<string, string?> { ["COPILOT_HOME"] = copilotHome, ["HOME"] = home };
        Assert.Equal(expected, CopilotSessionFiles.Home(environment));
        Assert.Equal("/h/session-state/s-1/events.jsonl", CopilotSessionFiles.EventsFile("/h", "s-1"));
    }

    private static TokenUsage Sum(string log) => CopilotSessionFiles.SumUsage(new MemoryStream(Encoding.UTF8.GetBytes(log)));
}
