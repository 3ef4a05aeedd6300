using System.Text;
using AgentKanban.Agents.Process;

namespace AgentKanban.Agents.Tests.Process;

public sealed class LineSplitterTests
{
    private static List<OutputLine> Split(int max, params byte[][] chunks)
    {
        var lines = new List<OutputLine>();
        var splitter = new LineSplitter(max, lines.Add);
        foreach (var chunk in chunks)
        {
            splitter.Feed(chunk);
        }

        splitter.Complete();
        return lines;
    }

    private static string Describe(OutputLine line) => line.Kind switch
    {
        OutputLineKind.Line => Encoding.UTF8.GetString(line.Bytes.Span),
        _ => $"<{line.Kind}:{line.Length}>",
    };

    public static TheoryData<string[], int, string[]> Cases() => new()
    {
        // chunks (as text), max line bytes, lines
        { ["a\nb\n"], 100, ["a", "b"] },
        { ["a", "b\nc", "d\n"], 100, ["ab", "cd"] },
        { ["\n\n"], 100, ["", ""] },
        { ["x\r\n"], 100, ["x\r"] },                        // CR is the parser's business
        { ["tail without newline"], 100, ["tail without newline"] },
        { ["12345\n123456\n1234\n"], 5, ["12345", "<TooLong:6>", "1234"] },
        { ["123", "456", "789", "\nok\n"], 5, ["<TooLong:9>", "ok"] },
        { ["1234567"], 5, ["<TooLong:7>"] },               // an over-long last line is reported too
        { [], 5, [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Splits_lines_with_a_bound(string[] chunks, int max, string[] expected)
    {
        var lines = Split(max, chunks.Select(Encoding.UTF8.GetBytes).ToArray());

        Assert.Equal(expected, lines.Select(Describe));
        Assert.Equal(Enumerable.Range(1, expected.Length).Select(i => (long)i), lines.Select(l => l.Number));
    }

    [Fact]
    public void Invalid_utf8_lines_are_reported_not_delivered()
    {
        var lines = Split(100, [0x61, 0xFF, 0x62, (byte)'\n'], [.. "é ok\n"u8], [0xE2, 0x82, (byte)'\n']);

        Assert.Equal(["<InvalidUtf8:3>", "é ok", "<InvalidUtf8:2>"], lines.Select(Describe));
    }

    [Fact]
    public void A_multibyte_character_split_across_reads_is_kept_whole()
    {
        var euro = "€"u8.ToArray();
        var lines = Split(100, [euro[0]], [euro[1], euro[2], (byte)'\n']);

        Assert.Equal(["€"], lines.Select(Describe));
    }

    [Fact]
    public void Delivered_lines_own_their_bytes()
    {
        var lines = Split(100, [.. "first\nsecond\n"u8]);
        Assert.Equal("first", Encoding.UTF8.GetString(lines[0].Bytes.Span));
        Assert.Equal("second", Encoding.UTF8.GetString(lines[1].Bytes.Span));
    }
}
