using System.Net;
using AgentKanban.Contracts;
using AgentKanban.Server.Tests.Infrastructure;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>The one API call the stream tests make that the shared fixture has no helper for.</summary>
internal static class StreamApi
{
    public static async Task<MessageDto> PostMessageAsync(HttpClient client, string taskId, string content, CancellationToken cancellationToken)
    {
        var response = await client.PostJsonAsync($"api/tasks/{taskId}/messages", new MessageRequest(content),
            ContractsJsonContext.Default.MessageRequest, cancellationToken);
        return await response.ReadAsync(HttpStatusCode.Created, ContractsJsonContext.Default.MessageDto, cancellationToken);
    }
}
