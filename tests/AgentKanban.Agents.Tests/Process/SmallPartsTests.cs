using System.Text;
using AgentKanban.Agents.Process;

namespace AgentKanban.Agents.Tests.Process;

public sealed class SmallPartsTests
{
    [Theory]
    [InlineData(0x0000, 0, null, false)]      // exit 0
    [InlineData(0x0300, 3, null, false)]      // exit 3
    [InlineData(0xFF00, 255, null, false)]
    [InlineData(0x0009, null, 9, false)]      // SIGKILL
    [InlineData(0x000F, null, 15, false)]     // SIGTERM
    [InlineData(0x008B, null, 11, true)]      // SIGSEGV, core dumped
    [InlineData(0x137F, null, null, false)]   // stopped: not an end, reported as unknown
    public void Decodes_wait_status(int status, int? code, int? signal, bool core)
    {
        Assert.Equal(new ProcessExit(code, signal, core), ProcessExit.FromWaitStatus(status));
    }

    [Theory]
    [InlineData(4, "abc", "abc")]
    [InlineData(4, "abcdef", "cdef")]
    [InlineData(4, "ab|cd|ef", "cdef")]
    [InlineData(4, "abcdefghij|k", "hijk")]
    [InlineData(4, "a|b|c|d|e|f", "cdef")]
    public void Stderr_tail_keeps_the_last_bytes(int capacity, string writes, string expected)
    {
        var tail = new StderrTail(capacity);
        foreach (var part in writes.Split('|'))
        {
            tail.Append(Encoding.UTF8.GetBytes(part));
        }

        Assert.Equal(expected, tail.ToString());
    }

    [Fact]
    public void Executables_are_found_on_the_given_path_only()
    {
        var env = new Dictionary<string, string> { ["PATH"] = "/nonexistent:/bin:/usr/bin" };
        Assert.Equal("/bin/sh", EnvironmentLookup.ResolveExecutable("sh", env, "/"));
        Assert.Equal("/bin/sh", EnvironmentLookup.ResolveExecutable("/bin/sh", env, "/tmp"));
        Assert.Null(EnvironmentLookup.ResolveExecutable("sh", new Dictionary<string, string> { ["PATH"] = "/nonexistent" }, "/"));
        var plain = Path.GetTempFileName();
        try
        {
            File.SetUnixFileMode(plain, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Null(EnvironmentLookup.ResolveExecutable(plain, env, "/"));   // not executable
        }
        finally
        {
            File.Delete(plain);
        }
    }

    [Fact]
    public void Current_environment_is_a_copy()
    {
        var current = EnvironmentLookup.Current();
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), current["PATH"]);
    }
}
