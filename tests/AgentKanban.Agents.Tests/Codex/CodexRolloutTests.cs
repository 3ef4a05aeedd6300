using System.Text;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Tests.Support;
using AgentKanban.Core.Events;

namespace AgentKanban.Agents.Tests.Codex;

public sealed class CodexRolloutTests : IDisposable
{
    private const string Thread = "01a25137-0e50-7971-acf9-6eec39a86128";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Summary_holds_the_last_total_the_last_named_windows_and_how_the_last_task_ended()
    {
        var all = CodexLines.Summary(string.Join('\n', CodexRecorded.HappySessionEvents, CodexRecorded.UsageLimitSessionEvents, CodexRecorded.ResumedSessionEvents));

        Assert.Equal(new CodexUsage(600, 180, 0, 120, 30), all.TotalUsage);
        Assert.Equal([new UsageWindow("primary", 3.0, 300, DateTimeOffset.FromUnixTimeSeconds(1900018000)),
            new UsageWindow("secondary", 41.5, 10080, DateTimeOffset.FromUnixTimeSeconds(1900600000))], all.Windows);
        Assert.Null(all.ErrorInfo); // the last task ended well

        var limited = CodexLines.Summary(CodexRecorded.UsageLimitSessionEvents);
        Assert.Equal(CodexFailures.UsageLimitExceeded, limited.ErrorInfo);
        Assert.All(limited.Windows, w => Assert.Equal(100.0, w.UsedPercent));

        var none = CodexLines.Summary(CodexRecorded.UsageLimitWithoutWindowsSessionEvents);
        Assert.Null(none.TotalUsage); // "info": null
        Assert.Empty(none.Windows); // "primary": null, "secondary": null
    }

    [Fact]
    public void Reading_from_an_offset_sees_only_what_was_appended_since()
    {
        var path = WriteSession(new DateTime(2026, 12, 7), CodexRecorded.HappySessionEvents);
        var before = CodexRollout.Read(path);
        Assert.Equal(new FileInfo(path).Length, before.Length);
        File.AppendAllText(path, CodexRecorded.UsageLimitSessionEvents + "\n");

        var appended = CodexRollout.Read(path, before.Length);

        Assert.Equal(CodexFailures.UsageLimitExceeded, appended.ErrorInfo);
        Assert.Equal(2, appended.Windows.Count);
        // A file that shrank since (rewritten) is read whole.
        Assert.Equal(new CodexUsage(500, 150, 0, 100, 25), CodexRollout.Read(path, long.MaxValue).TotalUsage);
    }

    [Fact]
    public void A_torn_last_line_and_lines_of_other_shapes_are_passed_over()
    {
        var lines = string.Join('\n',
            CodexRecorded.HappySessionEvents,
            """{"type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":7}}""",
            """{"type":"response_item","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":9}}}}""",
            """{"type":"event_msg","payload":{"type":"task_complete","error":{"codex_error_info":"usage_limit_exc""");

        var summary = CodexRollout.Summarize(Encoding.UTF8.GetBytes(lines));

        Assert.Equal(new CodexUsage(500, 150, 0, 100, 25), summary.TotalUsage);
        Assert.Empty(summary.Windows);
        Assert.Null(summary.ErrorInfo);
    }

    [Fact]
    public void Finds_the_threads_file_in_its_day_folder_or_anywhere_under_sessions()
    {
        var created = CodexRollout.UuidV7Time(Thread)!.Value;
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 15, 54, 52, TimeSpan.Zero), created.AddTicks(-(created.Ticks % TimeSpan.TicksPerSecond)));
        var path = WriteSession(created.UtcDateTime, CodexRecorded.HappySessionEvents);

        Assert.Equal(path, CodexRollout.Find(_dir.Path, Thread, DateTimeOffset.UnixEpoch));
        Assert.Null(CodexRollout.Find(_dir.Path, "01a25137-0000-7000-8000-000000000000", DateTimeOffset.UnixEpoch));
        Assert.Null(CodexRollout.Find(_dir.Path, "../../etc", DateTimeOffset.UnixEpoch));

        // A thread id that is not a UUIDv7 (nothing to date it by) is found by searching the tree.
        const string v4 = "3f2b8c1e-5d6a-4b7c-9e8f-0a1b2c3d4e5f";
        var old = WriteSession(new DateTime(2025, 1, 2), "", v4);
        Assert.Null(CodexRollout.UuidV7Time(v4));
        Assert.Equal(old, CodexRollout.Find(_dir.Path, v4, DateTimeOffset.UnixEpoch));
    }

    [Theory]
    [InlineData("/custom", "/home/u", "/custom")]
    [InlineData(null, "/home/u", "/home/u/.codex")]
    [InlineData("", "/home/u", "/home/u/.codex")]
    [InlineData(null, null, null)]
    public void Codex_home_is_CODEX_HOME_else_dot_codex_in_HOME(string? codexHome, string? home, string? expected) =>
        Assert.Equal(expected, CodexRollout.CodexHome(new Dictionary<string, string?> { ["CODEX_HOME"] = codexHome, ["HOME"] = home }));

    private string WriteSession(DateTime day, string lines, string thread = Thread)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir.Path, "sessions", day.ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture))).FullName;
        var path = Path.Combine(folder, $"rollout-{day:yyyy-MM-dd}T15-54-52-{thread}.jsonl");
        File.WriteAllText(path, lines + "\n");
        return path;
    }
}
