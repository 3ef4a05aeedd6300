using System.Runtime.Versioning;

// The real Claude Code CLI, process groups and Unix file modes: these tests run on Linux/macOS only.
[assembly: UnsupportedOSPlatform("windows")]
