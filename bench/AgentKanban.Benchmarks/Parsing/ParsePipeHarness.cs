using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Parsing;
using AgentKanban.Agents.Process;
using AgentKanban.Core.Events;

namespace AgentKanban.Benchmarks.Parsing;

/// <summary>
/// Claude Code stream-json throughput the way the daemon reads an agent: the transcript comes through a pipe from another
/// process (<c>cat FILE</c>, started with the product's <see cref="AgentProcess"/>: poll, 64 KiB reads, line framing with
/// the UTF-8 check, one copy per line into the bounded output channel), and each line goes through
/// <see cref="ClaudeStreamJsonParser"/> as the Claude runtime does. A benchmark, not a test:
/// <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --parse [--rounds 3]</c>.
/// <para>Three configurations, interleaved round by round:</para>
/// <list type="bullet">
/// <item><c>plain</c>: the transcript Claude Code writes by default;</item>
/// <item><c>partials, validated</c>: with the <c>stream_event</c> partial-message lines (about half the bytes); the parser
/// reads only their <c>type</c>, so each of them is also read to its end with <see cref="Utf8JsonReader"/> (every token),
/// which is what it takes to notice a malformed one (counted and reported);</item>
/// <item><c>partials, type only</c>: the product's parser alone, partial lines read up to their type (for comparison only:
/// about half of the bytes are then never looked at beyond the line framing).</item>
/// </list>
/// Reported per configuration: MB/s (decimal MB of transcript / wall time from spawning <c>cat</c> to the last line
/// parsed), CPU of this process (the reader thread and the parser; <c>cat</c>'s own CPU is not included), and bytes
/// allocated per line in this process (all threads, <see cref="GC.GetTotalAllocatedBytes(bool)"/>).
/// </summary>
public static class ParsePipeHarness
{
    public static bool Handles(string[] args) => args is ["--parse", ..];

    private enum Mode
    {
        Plain,
        PartialsValidated,
        PartialsTypeOnly,
    }

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var rounds = 3;
        for (var i = 1; i < args.Length - 1; i++)
        {
            if (args[i] == "--rounds")
            {
                rounds = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture));
            }
        }

        var files = new Dictionary<string, string>
        {
            [TranscriptFiles.Plain] = TranscriptFiles.Ensure(TranscriptFiles.Plain),
            [TranscriptFiles.WithPartials] = TranscriptFiles.Ensure(TranscriptFiles.WithPartials),
        };
        foreach (var (kind, path) in files)
        {
            var (bytes, lines, partialBytes, partialLines) = Describe(path);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{kind}: {path}, {bytes / 1e6:F1} MB, {lines} lines; stream_event partials: {partialLines} lines, {100.0 * partialBytes / bytes:F0} % of the bytes"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"reading through a pipe from `cat` (the file is in the page cache after the first round); {rounds} rounds after one warm-up; "
            + $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));

        Mode[] modes = [Mode.Plain, Mode.PartialsValidated, Mode.PartialsTypeOnly];
        foreach (var mode in modes)
        {
            await RunOnceAsync(FileOf(mode, files), new ClaudeStreamJsonParser(), mode == Mode.PartialsValidated); // warm-up: JIT tiers, page cache
        }

        var results = modes.ToDictionary(m => m, _ => new List<Result>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var mode in modes)
            {
                var result = await RunOnceAsync(FileOf(mode, files), new ClaudeStreamJsonParser(), mode == Mode.PartialsValidated);
                results[mode].Add(result);
                Console.WriteLine($"[{Label(mode)}, round {round}/{rounds}] {result}");
            }
        }

        foreach (var (mode, list) in results)
        {
            var mbps = list.Select(r => r.MegabytesPerSecond).Order().ToArray();
            var cpu = list.Select(r => r.CpuMegabytesPerSecond).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{Label(mode)}] median of {list.Count}: {mbps[mbps.Length / 2]:F0} MB/s wall ({string.Join(", ", list.Select(r => r.MegabytesPerSecond.ToString("F0", CultureInfo.InvariantCulture)))}), "
                + $"{cpu[cpu.Length / 2]:F0} MB per CPU-second of this process; {list[^1].AllocatedPerLine:F0} B allocated per line; "
                + $"malformed partial lines found: {list[^1].MalformedPartials}"));
        }

        return 0;
    }

    private static string FileOf(Mode mode, Dictionary<string, string> files) =>
        mode == Mode.Plain ? files[TranscriptFiles.Plain] : files[TranscriptFiles.WithPartials];

    private static string Label(Mode mode) => mode switch
    {
        Mode.Plain => "plain, pipe",
        Mode.PartialsValidated => "partials, pipe, partial lines validated",
        _ => "partials, pipe, partial lines read to their type only (product parser as is)",
    };

    internal sealed record Result(long Bytes, long Lines, double Seconds, double CpuSeconds, long Allocated, long Events, long Skipped, long MalformedPartials)
    {
        public double MegabytesPerSecond => Bytes / 1e6 / Seconds;

        public double CpuMegabytesPerSecond => Bytes / 1e6 / CpuSeconds;

        public double AllocatedPerLine => (double)Allocated / Lines;

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Bytes / 1e6:F1} MB, {Lines} lines in {Seconds * 1000:F0} ms = {MegabytesPerSecond:F0} MB/s; CPU {CpuSeconds * 1000:F0} ms ({CpuMegabytesPerSecond:F0} MB/CPU-s); "
            + $"{AllocatedPerLine:F0} B allocated per line; {Events} events, {Skipped} lines skipped by the parser, {MalformedPartials} malformed partial lines");
    }

    /// <summary>
    /// One pass over <paramref name="path"/> through a pipe from <c>cat</c> into <paramref name="parser"/>;
    /// <paramref name="validatePartials"/> also reads each Claude partial-message line to its end.
    /// </summary>
    internal static async Task<Result> RunOnceAsync(string path, IAgentOutputParser parser, bool validatePartials)
    {
        var events = new List<AgentEvent>(4);
        long lines = 0, bytes = 0, produced = 0, skipped = 0, malformed = 0;
        var options = new AgentProcessOptions
        {
            Executable = "cat",
            Arguments = [path],
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" },
            WorkingDirectory = Path.GetTempPath(),
        };
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await using (var process = AgentProcess.Start(options))
        {
            await foreach (var line in process.Output.ReadAllAsync())
            {
                lines++;
                bytes += line.Length + 1;
                if (line.Kind != OutputLineKind.Line)
                {
                    skipped++;
                    continue;
                }

                var span = line.Bytes.Span;
                events.Clear();
                var result = parser.Parse(span, events);
                produced += events.Count;
                if (result.Outcome == LineOutcome.Skipped)
                {
                    skipped++;
                }

                if (validatePartials && span.StartsWith("{\"type\":\"stream_event\""u8) && !IsWellFormed(span))
                {
                    malformed++;
                }
            }

            var exit = await process.Exited;
            if (exit.ExitCode != 0)
            {
                throw new InvalidOperationException($"cat exited with {exit.ExitCode}");
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        return new Result(bytes, lines, seconds, cpu, allocated, produced, skipped, malformed);
    }

    /// <summary>Reads every token of the line: a JSON syntax error anywhere in it is found (no strings are made).</summary>
    private static bool IsWellFormed(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
            while (reader.Read())
            {
            }

            return reader.BytesConsumed == line.Length || line[(int)reader.BytesConsumed..].Trim(" \t\r"u8).IsEmpty;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static (long Bytes, long Lines, long PartialBytes, long PartialLines) Describe(string path)
    {
        long bytes = 0, lines = 0, partialBytes = 0, partialLines = 0;
        foreach (var line in File.ReadLines(path))
        {
            var size = System.Text.Encoding.UTF8.GetByteCount(line) + 1;
            bytes += size;
            lines++;
            if (line.StartsWith("{\"type\":\"stream_event\"", StringComparison.Ordinal))
            {
                partialBytes += size;
                partialLines++;
            }
        }

        return (bytes, lines, partialBytes, partialLines);
    }
}
