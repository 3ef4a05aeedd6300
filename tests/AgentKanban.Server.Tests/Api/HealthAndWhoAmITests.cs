using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

public abstract class HealthAndWhoAmITests(ServerFixture fixture)
{
    private TestServer Server => fixture.Server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_answers_200_without_a_token()
    {
        var response = await Server.CreateClient().GetAsync("healthz", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Admin_token_file_is_private_and_identifies_the_admin()
    {
        var path = Path.Combine(Server.DataDir, "admin-token");
        Assert.True(File.Exists(path));
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(path) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
        var me = await (await Server.Admin.GetAsync("api/whoami", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.WhoAmIDto, Ct);
        Assert.Equal("user", me.Kind);
        Assert.Equal("admin", me.Name);
    }

    [Fact]
    public async Task Whoami_names_each_kind_of_identity()
    {
        var user = await Server.CreateUserAsync(cancellationToken: Ct);
        var work = await user.StartWorkerAsync(Ct);

        var asUser = await (await user.Client.GetAsync("api/whoami", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.WhoAmIDto, Ct);
        Assert.Equal(("user", user.User.Id), (asUser.Kind, asUser.Id));

        var asMachine = await (await work.Machine.Client.GetAsync("api/whoami", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.WhoAmIDto, Ct);
        Assert.Equal(("machine", work.Machine.Id), (asMachine.Kind, asMachine.Id));

        var asWorker = await (await work.Session.Client.GetAsync("api/whoami", Ct)).ReadAsync(HttpStatusCode.OK, ContractsJsonContext.Default.WhoAmIDto, Ct);
        Assert.Equal(("worker", work.Agent.Id, work.Task.Id, work.Session.Id), (asWorker.Kind, asWorker.Id, asWorker.TaskId, asWorker.SessionId));
    }

    [Fact]
    public async Task Requests_without_or_with_a_bad_token_get_a_json_401()
    {
        await (await Server.CreateClient().GetAsync("api/boards", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
        await (await Server.CreateClient("akp_not-a-real-token").GetAsync("api/boards", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
        await (await Server.CreateClient("garbage").GetAsync("api/boards", Ct)).ReadErrorAsync(HttpStatusCode.Unauthorized, ErrorCodes.Unauthorized, cancellationToken: Ct);
    }
}

public sealed class HealthAndWhoAmISqliteTests(SqliteServerFixture fixture) : HealthAndWhoAmITests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class HealthAndWhoAmIPostgresTests(PostgresServerFixture fixture) : HealthAndWhoAmITests(fixture), IClassFixture<PostgresServerFixture>;
