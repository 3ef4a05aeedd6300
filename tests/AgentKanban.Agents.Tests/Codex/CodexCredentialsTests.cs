using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Tests.Support;

namespace AgentKanban.Agents.Tests.Codex;

public sealed class CodexCredentialsTests : IDisposable
{
    private const string Config = """
        model = "gpt-5.5" # the default
        model_provider = "fake"

        [profiles.other]
        model_provider = "openai"

        [model_providers.fake]
        name = "Fake"
        base_url = "http://127.0.0.1:1/v1"
        env_key = "FAKE_KEY"

        [model_providers.azure]
        env_key = 'AZURE_KEY'
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("OPENAI_API_KEY", true)]
    [InlineData("CODEX_API_KEY", true)]
    [InlineData("FAKE_KEY", true)] // the configured provider's env_key
    [InlineData("AZURE_KEY", false)] // a provider that is not the one chosen
    [InlineData("ANTHROPIC_API_KEY", false)]
    public void Authorized_by_an_api_key_or_the_chosen_providers_key(string variable, bool authorized)
    {
        var home = Directory.CreateDirectory(Path.Combine(_dir.Path, "codex-" + variable)).FullName;
        File.WriteAllText(Path.Combine(home, "config.toml"), Config);

        var availability = CodexCredentials.Check(new Dictionary<string, string?> { ["CODEX_HOME"] = home, [variable] = "k" });

        Assert.Equal(authorized, availability.Authorized);
        Assert.Equal(authorized, availability.Detail is null);
    }

    [Fact]
    public void Authorized_by_a_codex_login_in_HOME()
    {
        var home = Directory.CreateDirectory(Path.Combine(_dir.Path, "home")).FullName;
        var env = new Dictionary<string, string?> { ["HOME"] = home };
        Assert.False(CodexCredentials.Check(env).Authorized);

        Directory.CreateDirectory(Path.Combine(home, ".codex"));
        File.WriteAllText(Path.Combine(home, ".codex", "auth.json"), "{}");

        Assert.True(CodexCredentials.Check(env).Authorized);
    }

    [Fact]
    public void Without_HOME_only_keys_count() =>
        Assert.False(CodexCredentials.Check(new Dictionary<string, string?>()).Authorized);

    [Theory]
    [InlineData("model_provider = \"x\"\n[model_providers.x]\nenv_key = \"X_KEY\"", "X_KEY")]
    [InlineData("[model_providers.x]\nenv_key = \"X_KEY\"", null)] // no provider chosen: the default (OpenAI) is used
    [InlineData("model_provider = \"x\"", null)]
    [InlineData("# model_provider = \"x\"\n[model_providers.x]\nenv_key = \"X_KEY\"", null)]
    public void Finds_the_chosen_providers_key_variable(string toml, string? expected) =>
        Assert.Equal(expected, CodexCredentials.ProviderKeyVariable(toml.Split('\n')));
}
