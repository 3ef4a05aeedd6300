using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;
using AgentKanban.Server.Auth;
using AgentKanban.Server.Data;
using AgentKanban.Server.Http;
using AgentKanban.Server.Storage;
using Microsoft.AspNetCore.Routing;

namespace AgentKanban.Server.Api;

/// <summary>Notes (activity entries, <c>commented</c>) and chat messages on a task.</summary>
public static partial class TasksApi
{
    private static readonly ActorRole[] Writers = [ActorRole.User, ActorRole.Leader, ActorRole.Worker, ActorRole.Machine];

    private static void MapNotes(RouteGroupBuilder tasks)
    {
        tasks.MapPost("/{id}/notes", AddNoteAsync);
        tasks.MapGet("/{id}/notes", ListNotesAsync);
        tasks.MapPost("/{id}/messages", AddMessageAsync);
        tasks.MapGet("/{id}/messages", ListMessagesAsync);
    }

    public static async Task<ApiResult> AddNoteAsync(string id, HttpContext http, Mutations mutations)
    {
        var self = http.GetCaller();
        self.Require("add notes", Writers);
        TaskGuards.RequireOwnTask(self, id);
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.NoteRequest, optional: false, http.RequestAborted);
        var detail = Validate.RequiredText("detail", body!.Detail);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var task = await TaskGuards.LockTaskAsync(tx, caller, id, now, ct);
            var activity = await ActivityRows.AddAsync(tx, id, caller.Role.ToName(), caller.ActorId, "commented", detail, caller.SessionId, now, ct);
            tx.AddEvent(ServerEvents.Activity(caller.OwnerId, task, activity));
            return ApiResult.Created(activity, ContractsJsonContext.Default.ActivityDto);
        });
    }

    public static async Task<ApiResult> ListNotesAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var activity = await store.ReadAsync(async (db, ct) =>
        {
            if (!await Resolve.TaskExistsAsync(db, caller.OwnerId, id, ct))
            {
                throw DomainException.NotFound("task", Validate.Truncate(id));
            }

            return await ActivityRows.ListAsync(db, id, DetailEntries, ct);
        }, http.RequestAborted);
        return ApiResult.Ok(activity, ContractsJsonContext.Default.ListActivityDto);
    }

    public static async Task<ApiResult> AddMessageAsync(string id, HttpContext http, Mutations mutations)
    {
        var self = http.GetCaller();
        self.Require("post messages", Writers);
        TaskGuards.RequireOwnTask(self, id);
        var body = await RequestBody.ReadAsync(http.Request, ContractsJsonContext.Default.MessageRequest, optional: false, http.RequestAborted);
        var content = Validate.RequiredText("content", body!.Content);
        return await mutations.RunAsync(http, async (tx, caller, ct) =>
        {
            var now = mutations.Clock.Now();
            var task = await TaskGuards.LockTaskAsync(tx, caller, id, now, ct);
            var senderType = caller.Kind switch
            {
                CallerKind.User => "user",
                CallerKind.Machine => "machine",
                _ => "agent",
            };
            var message = new MessageDto(Ids.New(), id, senderType, caller.ActorId, content, now);
            await MessageRows.AddAsync(tx, message, ct);
            tx.AddEvent(ServerEvents.Message(caller.OwnerId, task, message));
            return ApiResult.Created(message, ContractsJsonContext.Default.MessageDto);
        });
    }

    public static async Task<ApiResult> ListMessagesAsync(string id, HttpContext http, IStorageEngine store)
    {
        var caller = http.GetCaller();
        var messages = await store.ReadAsync(async (db, ct) =>
        {
            if (!await Resolve.TaskExistsAsync(db, caller.OwnerId, id, ct))
            {
                throw DomainException.NotFound("task", Validate.Truncate(id));
            }

            return await MessageRows.ListAsync(db, id, DetailEntries, ct);
        }, http.RequestAborted);
        return ApiResult.Ok(messages, ContractsJsonContext.Default.ListMessageDto);
    }
}
