using System.Runtime.Versioning;

// These tests check Unix file modes and send POSIX signals.
[assembly: UnsupportedOSPlatform("windows")]
