namespace AgentKanban.IntegrationTests.Support;

/// <summary>
/// Tests that start the real Claude Code CLI share this collection so they run one after another:
/// each run is a 380 MB native process, and the test machines have two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RealCliCollection
{
    public const string Name = "real claude cli";
}
