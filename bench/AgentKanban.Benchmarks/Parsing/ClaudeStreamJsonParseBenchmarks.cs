using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Process;
using AgentKanban.Core.Events;
using BenchmarkDotNet.Attributes;

namespace AgentKanban.Benchmarks.Parsing;

/// <summary>
/// Claude Code stream-json parsing throughput on the generated 50 MB transcript (one op = the whole file).
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --filter '*Parse*'</c>.
/// <list type="bullet">
/// <item><see cref="Parse"/>: the parser alone over lines cut from memory (the target: ≥ 400 MB/s on one core);</item>
/// <item><see cref="ReadLinesAndParse"/>: the process runner's line framing (64 KiB reads, UTF-8 check, one copy per line) plus the parser.</item>
/// </list>
/// "plain" is the transcript Claude Code writes by default; "partials" adds the stream_event lines of partial messages.
/// </summary>
[Config(typeof(ParseConfig))]
public class ClaudeStreamJsonParseBenchmarks
{
    private readonly List<AgentEvent> _events = new(64);
    private byte[] _transcript = [];

    [Params(TranscriptFiles.Plain, TranscriptFiles.WithPartials)]
    public string Transcript { get; set; } = TranscriptFiles.Plain;

    [GlobalSetup]
    public void Setup() => _transcript = File.ReadAllBytes(TranscriptFiles.Ensure(Transcript));

    [Benchmark]
    public int Parse()
    {
        var parser = new ClaudeStreamJsonParser();
        var produced = 0;
        ReadOnlySpan<byte> rest = _transcript;
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            rest = newline < 0 ? default : rest[(newline + 1)..];
            _events.Clear();
            produced += parser.Parse(line, _events).EventCount;
        }

        return produced;
    }

    [Benchmark]
    public int ReadLinesAndParse()
    {
        var parser = new ClaudeStreamJsonParser();
        var produced = 0;
        var splitter = new LineSplitter(8 * 1024 * 1024, line =>
        {
            _events.Clear();
            produced += parser.Parse(line.Bytes.Span, _events).EventCount;
        });
        for (var offset = 0; offset < _transcript.Length; offset += 64 * 1024)
        {
            splitter.Feed(_transcript.AsSpan(offset, Math.Min(64 * 1024, _transcript.Length - offset)));
        }

        splitter.Complete();
        return produced;
    }
}
