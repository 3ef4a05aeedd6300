using System.Net;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Tests.Infrastructure;

/// <summary>Base of the API test classes: the fixture's server, the test's cancellation token, small helpers.</summary>
public abstract class ServerTests(ServerFixture fixture)
{
    protected TestServer Server => fixture.Server;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A fresh user: its own tenant, so tests sharing a server never see each other's data.</summary>
    protected Task<TestUser> NewUserAsync() => Server.CreateUserAsync(cancellationToken: Ct);

    protected static Task<HttpResponseMessage> TransitionAsync(HttpClient client, string taskId, string verb, TransitionRequest? body = null) =>
        client.PostJsonAsync($"api/tasks/{taskId}/{verb}", body ?? new TransitionRequest(), ContractsJsonContext.Default.TransitionRequest, Ct);

    protected static async Task<TaskDto> TransitionOkAsync(HttpClient client, string taskId, string verb, TransitionRequest? body = null) =>
        await (await TransitionAsync(client, taskId, verb, body)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.TaskDto, Ct);
}
