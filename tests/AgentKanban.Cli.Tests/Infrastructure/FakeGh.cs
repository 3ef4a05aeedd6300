namespace AgentKanban.Cli.Tests.Infrastructure;

/// <summary>
/// A stand-in for the GitHub CLI (GitHub cannot be reached from the tests): a <c>gh</c> shell script in its own directory,
/// to put first on PATH. <c>gh pr view</c> prints <c>view.json</c>; the n-th <c>gh pr checks</c> prints
/// <c>checks.n.json</c> if there is one, else <c>checks.json</c>, or says "no checks reported" (exit 1) when
/// <c>nochecks.n</c> exists. Every call's arguments are appended to <c>calls.log</c>.
/// </summary>
public sealed class FakeGh : IDisposable
{
    private const string Script = """
        #!/bin/sh
        dir=$(dirname "$0")
        printf '%s\n' "$*" >> "$dir/calls.log"
        case "$1 $2" in
          "pr view") cat "$dir/view.json" ;;
          "pr checks")
            n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
            echo "$n" > "$dir/count"
            if [ -f "$dir/nochecks.$n" ]; then echo "no checks reported on the 'feature' branch" >&2; exit 1; fi
            if [ -f "$dir/checks.$n.json" ]; then cat "$dir/checks.$n.json"; else cat "$dir/checks.json"; fi
            ;;
          *) echo "fake gh: unexpected arguments: $*" >&2; exit 2 ;;
        esac
        """;

    private readonly TempDirectory _dir = new();

    public FakeGh()
    {
        var path = _dir.Combine("gh");
        File.WriteAllText(path, Script.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        State("OPEN");
        Checks("[]");
    }

    public string Directory => _dir.Path;

    /// <summary>PATH with this directory first, so <c>gh</c> is this one.</summary>
    public string SearchPath => $"{_dir.Path}:{Environment.GetEnvironmentVariable("PATH")}";

    /// <summary>Every call's arguments, one line each.</summary>
    public IReadOnlyList<string> Calls =>
        File.Exists(_dir.Combine("calls.log")) ? File.ReadAllLines(_dir.Combine("calls.log")) : [];

    /// <summary>What <c>gh pr view --json state</c> says: OPEN, CLOSED or MERGED.</summary>
    public void State(string state) => File.WriteAllText(_dir.Combine("view.json"), $$"""{"state":"{{state}}"}""");

    /// <summary>The checks every later call reports (unless a numbered call says otherwise).</summary>
    public void Checks(string json) => File.WriteAllText(_dir.Combine("checks.json"), json);

    /// <summary>What the <paramref name="call"/>-th <c>gh pr checks</c> (from 1) reports.</summary>
    public void Checks(int call, string json) => File.WriteAllText(_dir.Combine($"checks.{call}.json"), json);

    /// <summary>The <paramref name="call"/>-th <c>gh pr checks</c> finds no checks yet.</summary>
    public void NoChecks(int call) => File.WriteAllText(_dir.Combine($"nochecks.{call}"), "");

    public static string Check(string name, string bucket) =>
        $$"""{"name":"{{name}}","state":"{{bucket.ToUpperInvariant()}}","bucket":"{{bucket}}","link":"https://ci.example/{{name}}"}""";

    public void Dispose() => _dir.Dispose();
}
