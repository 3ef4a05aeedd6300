using AgentKanban.Cli.Commands;
using AgentKanban.Cli.Config;
using AgentKanban.Cli.Tests.Infrastructure;

namespace AgentKanban.Cli.Tests.Config;

public sealed class ConfigTests
{
    [Fact]
    public void Config_lives_under_xdg_config_home_or_home()
    {
        Assert.Equal("/x/agent-kanban/config.json", ConfigPaths.ConfigFile(new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = "/x", ["HOME"] = "/h" }));
        Assert.Equal("/h/.config/agent-kanban/config.json", ConfigPaths.ConfigFile(new Dictionary<string, string?> { ["HOME"] = "/h" }));
        // A relative XDG value is invalid per the spec and ignored.
        Assert.Equal("/h/.config/agent-kanban/config.json", ConfigPaths.ConfigFile(new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = "rel", ["HOME"] = "/h" }));
        Assert.Equal("/h/.local/share/agent-kanban", ConfigPaths.DataDirectory(new Dictionary<string, string?> { ["HOME"] = "/h" }));
    }

    [Fact]
    public void Saved_config_is_private_and_reads_back()
    {
        using var dir = new TempDirectory();
        var store = new ConfigStore(dir.Combine("cfg", "agent-kanban"));

        store.Save(new CliConfig("http://127.0.0.1:7420", "akp_secret"));

        Assert.Equal(new CliConfig("http://127.0.0.1:7420", "akp_secret"), store.Load());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.FilePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        Assert.Equal(["config.json"], Directory.GetFiles(store.Directory).Select(Path.GetFileName)); // no temp file left behind
    }

    [Fact]
    public void Saving_tightens_a_folder_made_by_hand()
    {
        using var dir = new TempDirectory();
        var folder = dir.Combine("agent-kanban");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);

        new ConfigStore(folder).Save(new CliConfig(Token: "akp_x"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
    }

    [Fact]
    public void Overwriting_replaces_the_whole_file()
    {
        using var dir = new TempDirectory();
        var store = new ConfigStore(dir.Combine("agent-kanban"));
        store.Save(new CliConfig("http://a.example:1", "akp_a_long_token_value"));

        store.Save(new CliConfig("http://b.example:2"));

        Assert.Equal(new CliConfig("http://b.example:2"), store.Load());
    }

    [Fact]
    public void Missing_file_is_an_empty_config_and_a_corrupt_one_is_a_clear_error()
    {
        using var dir = new TempDirectory();
        var store = new ConfigStore(dir.Combine("agent-kanban"));
        Assert.Equal(new CliConfig(), store.Load());

        Directory.CreateDirectory(store.Directory);
        File.WriteAllText(store.FilePath, "{ not json");
        var error = Assert.Throws<CliFailureException>(store.Load);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_overrides_the_file()
    {
        var file = new CliConfig("http://file.example:1", "akp_from_file");

        var fromFile = ConnectionSettings.Resolve(new Dictionary<string, string?>(), file, "config.json");
        var fromEnv = ConnectionSettings.Resolve(
            new Dictionary<string, string?> { ["AK_SERVER"] = "http://env.example:2/", ["AK_TOKEN"] = "akp_from_env" }, file, "config.json");
        var mixed = ConnectionSettings.Resolve(new Dictionary<string, string?> { ["AK_TOKEN"] = "akp_from_env", ["AK_SERVER"] = " " }, file, "config.json");

        Assert.Equal(("http://file.example:1", "config.json", "akp_from_file", "config.json"),
            (fromFile.Server, fromFile.ServerSource, fromFile.Token, fromFile.TokenSource));
        Assert.Equal(("http://env.example:2", "AK_SERVER", "akp_from_env", "AK_TOKEN"),
            (fromEnv.Server, fromEnv.ServerSource, fromEnv.Token, fromEnv.TokenSource));
        Assert.Equal(("http://file.example:1", "akp_from_env"), (mixed.Server, mixed.Token));
    }

    [Fact]
    public void Agent_session_comes_from_the_environment()
    {
        var settings = ConnectionSettings.Resolve(
            new Dictionary<string, string?> { ["AK_SESSION_ID"] = "s1", ["AK_SESSION_KEY"] = "key", ["AK_TASK_ID"] = "t1" },
            new CliConfig(), "config.json");
        var halfway = ConnectionSettings.Resolve(new Dictionary<string, string?> { ["AK_SESSION_ID"] = "s1" }, new CliConfig(), "config.json");

        Assert.Equal(new SessionIdentity("s1", "key", "t1"), settings.Session);
        Assert.Null(halfway.Session);
    }

    [Theory]
    [InlineData("akp_0123456789abcdef", "akp_****cdef")]
    [InlineData("akp_short", "akp_****")]
    [InlineData("plaintokenwithoutprefix", "****efix")]
    public void Tokens_are_masked(string token, string masked) => Assert.Equal(masked, ConfigCommands.Mask(token));
}
