using System.Net;
using System.Text.Json;
using AgentKanban.Contracts;
using AgentKanban.Server.Storage;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Api;

/// <summary>Every mutation writes its event rows in the same transaction, numbered in order, with the routing columns the streams use.</summary>
public abstract class EventLogTests(ServerFixture fixture) : ServerTests(fixture)
{
    private sealed record Row(long Id, string Type, string Owner, string? Board, string? Task, string? Machine, string? Agent, ServerEventDto Payload);

    [Fact]
    public async Task A_task_lifecycle_leaves_an_ordered_trail_of_events()
    {
        var user = await NewUserAsync();
        var work = await user.StartWorkerAsync(Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "claim");
        await (await work.Session.Client.PostJsonAsync($"api/tasks/{work.Task.Id}/messages", new MessageRequest("hi"), ContractsJsonContext.Default.MessageRequest, Ct))
            .ExpectAsync(HttpStatusCode.Created, Ct);
        await TransitionOkAsync(work.Session.Client, work.Task.Id, "review");
        await TransitionOkAsync(user.Client, work.Task.Id, "complete");

        var rows = await ReadEventsAsync(user.User.Id);
        Assert.Equal(rows.Select(r => r.Id).Order(), rows.Select(r => r.Id));
        Assert.Equal(
            [
                "machine.updated", "task.created", "task.activity", "task.activity", "task.updated", "session.updated",
                "task.updated", "task.activity", "task.message", "task.updated", "task.activity", "task.updated", "task.activity",
            ],
            rows.Select(r => r.Type));
        Assert.All(rows, r => Assert.Equal(r.Type, r.Payload.Type));
        Assert.All(rows, r => Assert.Equal(0, r.Payload.Id));

        var claim = rows.First(r => r.Type == "task.updated" && r.Payload.Task!.Status == "in_progress");
        Assert.Equal((work.Board.Id, work.Task.Id, work.Machine.Id, work.Agent.Id), (claim.Board, claim.Task, claim.Machine, claim.Agent));
        var message = rows.Single(r => r.Type == "task.message");
        Assert.Equal("hi", message.Payload.Message!.Content);
        var completed = rows[^2];
        Assert.Equal("done", completed.Payload.Task!.Status);
        Assert.Equal("completed", rows[^1].Payload.Activity!.Action);
        var machine = rows.Single(r => r.Type == "machine.updated");
        Assert.Equal((work.Machine.Id, (string?)null), (machine.Machine, machine.Board));
        Assert.Equal(work.Machine.Id, machine.Payload.Machine!.Id);
        Assert.Equal(work.Session.Id, rows.Single(r => r.Type == "session.updated").Payload.Session!.Id);
    }

    [Fact]
    public async Task Deleting_a_task_writes_task_deleted_with_the_last_state()
    {
        var user = await NewUserAsync();
        var board = await user.CreateBoardAsync(cancellationToken: Ct);
        var task = await user.CreateTaskAsync(board.Id, title: "to delete", cancellationToken: Ct);
        await (await user.Client.DeleteAsync($"api/tasks/{task.Id}", Ct)).ExpectAsync(HttpStatusCode.NoContent, Ct);
        var last = (await ReadEventsAsync(user.User.Id))[^1];
        Assert.Equal(("task.deleted", task.Id, "to delete"), (last.Type, last.Task, last.Payload.Task!.Title));
    }

    private async Task<List<Row>> ReadEventsAsync(string ownerId) =>
        await Server.Storage.ReadAsync(async (db, ct) =>
        {
            await using var command = db.Command("SELECT id, type, owner_id, board_id, task_id, machine_id, agent_id, payload FROM events WHERE owner_id = @o ORDER BY id")
                .Add("@o", ownerId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var rows = new List<Row>();
            while (await reader.ReadAsync(ct))
            {
                rows.Add(new Row(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetStringOrNull(4),
                    reader.GetStringOrNull(5), reader.GetStringOrNull(6), JsonSerializer.Deserialize(reader.GetString(7), ContractsJsonContext.Default.ServerEventDto)!));
            }

            return rows;
        }, Ct);
}

public sealed class EventLogSqliteTests(SqliteServerFixture fixture) : EventLogTests(fixture), IClassFixture<SqliteServerFixture>;

public sealed class EventLogPostgresTests(PostgresServerFixture fixture) : EventLogTests(fixture), IClassFixture<PostgresServerFixture>;
