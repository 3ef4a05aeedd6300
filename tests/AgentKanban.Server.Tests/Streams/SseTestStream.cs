using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AgentKanban.Contracts;

namespace AgentKanban.Server.Tests.Streams;

/// <summary>One frame as a client sees it.</summary>
internal sealed record SseFrame(long Id, string Type, string Data)
{
    public ServerEventDto Event => JsonSerializer.Deserialize(Data, ContractsJsonContext.Default.ServerEventDto)!;
}

/// <summary>A test-side SSE reader over a real HTTP connection: frames and comments, in arrival order.</summary>
internal sealed class SseTestStream : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseTestStream(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    /// <summary>Opens a stream and returns once its headers arrived (the server has fixed where the stream starts).</summary>
    public static async Task<SseTestStream> OpenAsync(HttpClient client, string path, CancellationToken cancellationToken, string? lastEventId = null)
    {
        var response = await SendAsync(client, path, lastEventId, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new SseTestStream(response, new StreamReader(stream));
    }

    /// <summary>Sends the request and returns the bare response (for the refusal cases).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>The next frame (skipping comments); fails the test if the stream ends or nothing comes within the hang guard.</summary>
    public async Task<SseFrame> NextFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (frame, comment) = await NextAsync(cancellationToken);
            if (frame is not null)
            {
                return frame;
            }

            _ = comment;
        }
    }

    /// <summary>The next frame or comment.</summary>
    public async Task<(SseFrame? Frame, string? Comment)> NextAsync(CancellationToken cancellationToken)
    {
        long? id = null;
        string? type = null;
        string? data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken).AsTask().WaitAsync(Guard, cancellationToken)
                ?? throw new InvalidOperationException("the stream ended");
            if (line.Length == 0)
            {
                if (data is not null)
                {
                    return (new SseFrame(id ?? throw new InvalidOperationException("frame without id"), type ?? "message", data), null);
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                if (data is null && id is null)
                {
                    return (null, line[1..].Trim());
                }

                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data = data is null ? value : data + "\n" + value;
                    break;
                default:
                    break;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        // Dropping the response tears the TCP connection down: the server sees the client vanish mid-stream.
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
