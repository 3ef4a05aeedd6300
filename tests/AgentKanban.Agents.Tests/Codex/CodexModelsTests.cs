using System.Text;
using AgentKanban.Agents.Codex;
using AgentKanban.Agents.Runtimes;

namespace AgentKanban.Agents.Tests.Codex;

public sealed class CodexModelsTests
{
    /// <summary>
    /// Four entries of <c>codex debug models --bundled</c> (0.169.0) as the CLI printed them, with the long fields
    /// (instructions, reasoning levels, messages) left out.
    /// </summary>
    private const string Catalog = """
        {"models":[{"slug":"gpt-6-astra","display_name":"GPT-6-Astra","description":"Frontier intelligence for the most demanding work.","default_reasoning_level":"low","shell_type":"unified_exec","visibility":"list","supported_in_api":true,"priority":2},{"slug":"gpt-6.1-sol","display_name":"GPT-6.1-Sol","description":"Latest workhorse model for coding and everyday work.","default_reasoning_level":"low","shell_type":"unified_exec","visibility":"list","supported_in_api":true,"priority":1},{"slug":"gpt-daybreak-blue-latest","display_name":"Daybreak Blue","description":"Latest frontier agentic coding model for broad defensive cybersecurity work.","default_reasoning_level":"low","shell_type":"unified_exec","visibility":"hide","supported_in_api":true,"priority":11},{"slug":"gpt-5.5","display_name":"GPT-5.5","description":"Legacy coding model.","default_reasoning_level":"medium","shell_type":"unified_exec","visibility":"list","supported_in_api":true,"priority":13}]}
        """;

    [Fact]
    public void Lists_the_models_codex_shows_in_its_own_order()
    {
        var models = CodexModels.Parse(Encoding.UTF8.GetBytes(Catalog));

        Assert.Equal(
            [
                new RuntimeModel("gpt-6.1-sol", "GPT-6.1-Sol", "Latest workhorse model for coding and everyday work."),
                new RuntimeModel("gpt-6-astra", "GPT-6-Astra", "Frontier intelligence for the most demanding work."),
                new RuntimeModel("gpt-5.5", "GPT-5.5", "Legacy coding model."),
            ],
            models);
    }

    [Theory]
    [InlineData("")]
    [InlineData("WARNING: proceeding")]
    [InlineData("[]")]
    [InlineData("{\"models\":[{\"slug\":")]
    public void Output_that_is_not_a_catalog_is_no_list(string text) =>
        Assert.Null(CodexModels.Parse(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Entries_without_a_slug_are_left_out() =>
        Assert.Equal([new RuntimeModel("m", null, null)], CodexModels.Parse("""{"models":[{"display_name":"x"},{"slug":"m"}],"etag":"z"}"""u8));
}
