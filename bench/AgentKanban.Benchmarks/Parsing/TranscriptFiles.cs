using System.Diagnostics;

namespace AgentKanban.Benchmarks.Parsing;

/// <summary>
/// The generated Claude Code transcripts the parsing benchmark (<see cref="ParsePipeHarness"/>) reads. Made once with
/// <c>node shared/bench/gen-claude-transcript.mjs OUT 50 [1]</c> into a temp folder (override with
/// <c>AK_BENCH_DIR</c>); the generator is found by walking up from the working directory to a folder that
/// holds <c>shared/bench/</c> (or named by <c>AK_TRANSCRIPT_GENERATOR</c>).
/// </summary>
internal static class TranscriptFiles
{
    public const string Plain = "plain";
    public const string WithPartials = "partials";

    public static string Directory => Environment.GetEnvironmentVariable("AK_BENCH_DIR")
        ?? Path.Combine(Path.GetTempPath(), "agent-kanban-bench");

    public static string PathOf(string kind) => Path.Combine(Directory, $"claude-transcript-50-{kind}.jsonl");

    public static string Ensure(string kind)
    {
        var path = PathOf(kind);
        if (File.Exists(path) && new FileInfo(path).Length > 1_000_000)
        {
            return path;
        }

        System.IO.Directory.CreateDirectory(Directory);
        var generator = FindGenerator();
        var partial = path + ".tmp";
        var info = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { generator, partial, "50", kind == WithPartials ? "1" : "0" })
        {
            info.ArgumentList.Add(arg);
        }

        using var node = Process.Start(info) ?? throw new InvalidOperationException("node could not be started");
        Console.WriteLine(node.StandardOutput.ReadToEnd());
        node.WaitForExit();
        if (node.ExitCode != 0)
        {
            throw new InvalidOperationException($"the transcript generator failed with exit code {node.ExitCode}");
        }

        File.Move(partial, path, overwrite: true);
        return path;
    }

    private static string FindGenerator()
    {
        if (Environment.GetEnvironmentVariable("AK_TRANSCRIPT_GENERATOR") is { Length: > 0 } named)
        {
            return named;
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "bench", "gen-claude-transcript.mjs");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("shared/bench/gen-claude-transcript.mjs not found above the working directory; set AK_TRANSCRIPT_GENERATOR");
    }
}
