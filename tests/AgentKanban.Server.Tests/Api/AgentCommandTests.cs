using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

/// <summary>An agent's <c>command</c> (the ACP agent program it runs): set on create, changed and cleared on update, one line.</summary>
public abstract class AgentCommandTests(ServerFixture fixture) : ServerTests(fixture)
{
    [Fact]
    public async Task An_agents_command_is_kept_changed_and_cleared()
    {
        var user = await NewUserAsync();
        var created = await (await user.Client.PostJsonAsync("api/agents",
                new CreateAgentRequest { Username = "acp-1", Runtime = RuntimeNames.Acp, Command = "copilot --acp" },
                ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.AgentDto, Ct);
        Assert.Equal("copilot --acp", created.Command);

        var untouched = await (await user.Client.PatchJsonAsync("api/agents/acp-1", new UpdateAgentRequest { Model = "m" }, ContractsJsonContext.Default.UpdateAgentRequest, Ct))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.AgentDto, Ct);
        Assert.Equal("copilot --acp", untouched.Command);

        var changed = await (await user.Client.PatchJsonAsync("api/agents/acp-1", new UpdateAgentRequest { Command = "gemini --acp --model 'flash lite'" }, ContractsJsonContext.Default.UpdateAgentRequest, Ct))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.AgentDto, Ct);
        Assert.Equal("gemini --acp --model 'flash lite'", changed.Command);
        var listed = await (await user.Client.GetAsync("api/agents?runtime=acp", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.ListAgentDto, Ct);
        Assert.Equal("gemini --acp --model 'flash lite'", Assert.Single(listed).Command);

        var cleared = await (await user.Client.PatchJsonAsync("api/agents/acp-1", new UpdateAgentRequest { Command = "" }, ContractsJsonContext.Default.UpdateAgentRequest, Ct))
            .ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.AgentDto, Ct);
        Assert.Null(cleared.Command);

        await (await user.Client.PostJsonAsync("api/agents", new CreateAgentRequest { Username = "acp-2", Runtime = RuntimeNames.Acp, Command = "agent\n--evil" },
                ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "command", Ct);
        await (await user.Client.PostJsonAsync("api/agents", new CreateAgentRequest { Username = "acp-3", Runtime = RuntimeNames.Acp, Command = new string('a', 1001) },
                ContractsJsonContext.Default.CreateAgentRequest, Ct))
            .ReadErrorAsync(HttpStatusCode.BadRequest, ErrorCodes.Validation, "command", Ct);
    }
}

public sealed class AgentCommandSqliteTests(SqliteServerFixture fixture) : AgentCommandTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class AgentCommandPostgresTests(PostgresServerFixture fixture) : AgentCommandTests(fixture), IClassFixture<PostgresServerFixture>;
