using System.Globalization;
using AgentKanban.Agents.Acp;
using AgentKanban.Agents.ClaudeCode;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Copilot;
using AgentKanban.Agents.Gemini;
using AgentKanban.Agents.Parsing;

namespace AgentKanban.Benchmarks.Parsing;

/// <summary>
/// Every runtime's output parser on a 50 MB transcript, through the same pipe the daemon reads agents from (see
/// <see cref="ParsePipeHarness.RunOnceAsync"/>), side by side in one run. Claude reads the generated Claude Code transcript
/// (plain, no partial messages); the other runtimes read their recorded run (<c>bench/transcripts/RUNTIME.jsonl</c>,
/// lines captured from the real CLI against the tests' provider fakes) repeated to the same size. Rounds are interleaved
/// runtime by runtime. <c>dotnet run -c Release --project bench/AgentKanban.Benchmarks -- --parse-runtimes [--rounds 3]</c>.
/// </summary>
public static class RuntimeParseHarness
{
    private const long TargetBytes = 50_000_000;

    public static bool Handles(string[] args) => args is ["--parse-runtimes", ..];

    /// <summary>The parsers measured: one fresh instance per pass, as one agent run gets.</summary>
    private static readonly (string Runtime, Func<IAgentOutputParser> Parser)[] Parsers =
    [
        ("claude", () => new ClaudeStreamJsonParser()),
        ("codex", () => new CodexJsonParser()),
        ("gemini", () => new GeminiStreamJsonParser()),
        ("copilot", () => new CopilotJsonParser("3b71e172-d95a-4d4c-8c46-cca7a3080f17", null, null, TimeProvider.System)),
        ("acp", () => new AcpTranscriptParser()),
    ];

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

        var files = Parsers.ToDictionary(p => p.Runtime, p => p.Runtime == "claude" ? TranscriptFiles.Ensure(TranscriptFiles.Plain) : Repeated(p.Runtime));
        foreach (var (runtime, path) in files)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{runtime}: {path}, {new FileInfo(path).Length / 1e6:F1} MB"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{rounds} rounds after one warm-up; {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        foreach (var (runtime, parser) in Parsers)
        {
            await ParsePipeHarness.RunOnceAsync(files[runtime], parser(), validatePartials: false);
        }

        var results = Parsers.ToDictionary(p => p.Runtime, _ => new List<ParsePipeHarness.Result>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (runtime, parser) in Parsers)
            {
                var result = await ParsePipeHarness.RunOnceAsync(files[runtime], parser(), validatePartials: false);
                results[runtime].Add(result);
                Console.WriteLine($"[{runtime}, round {round}/{rounds}] {result}");
            }
        }

        foreach (var (runtime, list) in results)
        {
            var wall = list.Select(r => r.MegabytesPerSecond).Order().ToArray();
            var cpu = list.Select(r => r.CpuMegabytesPerSecond).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{runtime}] median of {list.Count}: {wall[wall.Length / 2]:F0} MB/s wall, {cpu[cpu.Length / 2]:F0} MB per CPU-second; "
                + $"{list[^1].AllocatedPerLine:F0} B allocated per line; {list[^1].Events} events from {list[^1].Lines} lines, {list[^1].Skipped} skipped"));
        }

        return 0;
    }

    /// <summary>The runtime's recorded transcript repeated to 50 MB, made once into the benchmark folder.</summary>
    private static string Repeated(string runtime)
    {
        var path = Path.Combine(TranscriptFiles.Directory, $"{runtime}-transcript-50.jsonl");
        if (File.Exists(path) && new FileInfo(path).Length >= TargetBytes)
        {
            return path;
        }

        var recorded = File.ReadAllBytes(FindRecorded(runtime));
        Directory.CreateDirectory(TranscriptFiles.Directory);
        using (var output = File.Create(path + ".tmp"))
        {
            while (output.Length < TargetBytes)
            {
                output.Write(recorded);
                if (recorded.Length > 0 && recorded[^1] != (byte)'\n')
                {
                    output.WriteByte((byte)'\n');
                }
            }
        }

        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    private static string FindRecorded(string runtime)
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "bench", "transcripts", runtime + ".jsonl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"bench/transcripts/{runtime}.jsonl not found above {Environment.CurrentDirectory}; run from the repository");
    }
}
