using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentKanban.Client.Sse;
using AgentKanban.Contracts;

namespace AgentKanban.Client;

public sealed partial class BoardApiClient
{
    /// <summary>
    /// Follows <c>GET /api/tasks/{id}/events</c> from after <paramref name="lastEventId"/> until the server closes it or
    /// <paramref name="ct"/> fires. Returns null when this server has no such stream (404/405/501), so the caller can poll
    /// instead: the caller has just read the task, so a 404 here means the endpoint is missing, not the task.
    /// </summary>
    public async Task<IAsyncEnumerable<SseFrame>?> OpenTaskEventsAsync(string id, string? lastEventId, CancellationToken ct)
    {
        try
        {
            var response = await OpenStreamAsync($"api/tasks/{Segment(id)}/events", lastEventId, ct);
            return ReadFramesAsync(response, ct);
        }
        catch (ServerApiException e) when (e.Status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            return null;
        }
    }

    /// <summary>
    /// Opens <c>GET /api/boards/{id}/events</c> (id or name) from after <paramref name="lastEventId"/> (null = from now) and
    /// returns once the server has answered: everything committed from then on comes on the returned events, so a read
    /// made after this returns misses nothing. Events as <see cref="StreamEventsAsync"/> gives them (a <c>reset</c>
    /// included); an error status throws, a stream that breaks throws a transient <see cref="ServerApiException"/>.
    /// </summary>
    public async Task<IAsyncEnumerable<ServerEventDto>> OpenBoardEventsAsync(string boardId, long? lastEventId, CancellationToken ct)
    {
        var response = await OpenStreamAsync($"api/boards/{Segment(boardId)}/events", lastEventId?.ToString(CultureInfo.InvariantCulture), ct);
        return EventsOf(ReadFramesAsync(response, ct), ct);
    }

    private static async IAsyncEnumerable<ServerEventDto> EventsOf(IAsyncEnumerable<SseFrame> frames, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var frame in frames.WithCancellation(ct))
        {
            if (ToEvent(frame) is { } evt)
            {
                yield return evt;
            }
        }
    }

    /// <summary>
    /// Reads an event stream (<c>api/machines/{id}/events</c>) as events, from after <paramref name="lastEventId"/>, until
    /// the server closes it or <paramref name="ct"/> fires. Frames whose data is not an event are skipped; a
    /// <c>reset</c> (the events after <paramref name="lastEventId"/> were pruned) comes as an event of that type whose id
    /// is the server's head. A stream that breaks throws a transient <see cref="ServerApiException"/>.
    /// </summary>
    public async IAsyncEnumerable<ServerEventDto> StreamEventsAsync(string path, long? lastEventId, [EnumeratorCancellation] CancellationToken ct)
    {
        var response = await OpenStreamAsync(path, lastEventId?.ToString(CultureInfo.InvariantCulture), ct);
        await foreach (var frame in ReadFramesAsync(response, ct))
        {
            if (ToEvent(frame) is { } evt)
            {
                yield return evt;
            }
        }
    }

    /// <summary>The event a frame carries: its data, with the frame's id and type where the data lacks them.</summary>
    internal static ServerEventDto? ToEvent(SseFrame frame)
    {
        ServerEventDto? evt = null;
        try
        {
            evt = JsonSerializer.Deserialize(frame.Data, Json.ServerEventDto);
        }
        catch (JsonException)
        {
            // Not an event: skipped, unless the frame itself says what it is (below).
        }

        var id = long.TryParse(frame.Id, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        if (evt is null)
        {
            // A reset is a word about the stream: its frame's id (the head) is all it needs to carry.
            return frame.Event == StreamEvents.Reset && id > 0 ? new ServerEventDto { Type = StreamEvents.Reset, Id = id } : null;
        }

        return evt.Id == 0 && id > 0 ? evt with { Id = id } : evt;
    }

    /// <summary>Opens an event stream (no request deadline: it lasts as long as its reader); an error status throws.</summary>
    private async Task<HttpResponseMessage> OpenStreamAsync(string path, string? lastEventId, CancellationToken ct)
    {
        using var request = NewRequest(HttpMethod.Get, path, null, null, null);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (!string.IsNullOrEmpty(lastEventId))
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await SendCoreAsync(request, HttpCompletionOption.ResponseHeadersRead, ct, ct);
        try
        {
            await ThrowIfErrorAsync(response, ct);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The frames of an open stream; the response is disposed when the reading ends. A break throws (transient).</summary>
    private static async IAsyncEnumerable<SseFrame> ReadFramesAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken ct)
    {
        using (response)
        {
            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(ct);
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                throw StreamBroke(e);
            }

            await using (body)
            {
                using var reader = new StreamReader(body, Encoding.UTF8);
                await using var frames = SseReader.ReadAsync(reader, ct).GetAsyncEnumerator(ct);
                while (true)
                {
                    try
                    {
                        if (!await frames.MoveNextAsync())
                        {
                            yield break;
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException)
                    {
                        throw StreamBroke(e);
                    }

                    yield return frames.Current;
                }
            }
        }
    }

    private static ServerApiException StreamBroke(Exception e) =>
        new("event stream broke: " + Innermost(e), null, null, isTransient: true, e);
}
