namespace AgentKanban.IntegrationTests.GeminiCli;

/// <summary>Tests that start the real Gemini CLI (a node process of ~100 MB) run one after another on these two-core machines.</summary>
[CollectionDefinition(Name)]
public sealed class GeminiCliCollection
{
    public const string Name = "real gemini cli";
}
