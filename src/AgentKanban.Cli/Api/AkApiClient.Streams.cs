using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;

namespace AgentKanban.Cli.Api;

public sealed partial class AkApiClient
{
    /// <summary>
    /// Follows <c>GET /api/tasks/{id}/events</c> until the server closes it or <paramref name="ct"/> fires.
    /// Returns null when this server has no such stream (404/405/501), so the caller can poll instead.
    /// </summary>
    public async Task<IAsyncEnumerable<SseFrame>?> OpenTaskEventsAsync(string id, string? lastEventId, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"api/tasks/{Segment(id)}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (!string.IsNullOrEmpty(lastEventId))
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response;
        try
        {
            response = await SendRawAsync(request, HttpCompletionOption.ResponseHeadersRead, ct, ct);
        }
        catch
        {
            request.Dispose();
            throw;
        }

        // The caller has just read the task, so a 404 here means the stream endpoint is missing, not the task.
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            response.Dispose();
            request.Dispose();
            return null;
        }

        try
        {
            await ThrowIfErrorAsync(response, ct);
        }
        catch
        {
            response.Dispose();
            request.Dispose();
            throw;
        }

        return ReadFramesAsync(request, response, ct);
    }

    private static async IAsyncEnumerable<SseFrame> ReadFramesAsync(
        HttpRequestMessage request, HttpResponseMessage response, [EnumeratorCancellation] CancellationToken ct)
    {
        using (request)
        using (response)
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream);
            await foreach (var frame in SseReader.ReadAsync(reader, ct))
            {
                yield return frame;
            }
        }
    }
}
