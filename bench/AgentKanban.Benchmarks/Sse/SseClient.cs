using System.Buffers.Text;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace AgentKanban.Benchmarks.Sse;

/// <summary>
/// One subscriber: opens an SSE stream and reports, for each <c>data:</c> line carrying a benchmark marker
/// (<c>"content":"bench:N"</c>), the sequence number N, the Stopwatch timestamp it arrived at and the event's
/// own <c>created_at</c> (the first one in the line is the event's; nested objects come after it).
/// </summary>
internal sealed class SseClient
{
    private static readonly byte[] Marker = Encoding.UTF8.GetBytes("\"content\":\"bench:");
    private static readonly byte[] CreatedAt = Encoding.UTF8.GetBytes("\"created_at\":\"");

    private readonly HttpClient _http;
    private readonly string _path;
    private readonly Action<int, long, DateTimeOffset?> _onFrame;

    public SseClient(HttpClient http, string path, Action<int, long, DateTimeOffset?> onFrame)
    {
        _http = http;
        _path = path;
        _onFrame = onFrame;
    }

    public long Frames { get; private set; }

    /// <summary>Connects; returns once the response headers arrived (the server has fixed the stream's start), then reads in the background.</summary>
    public async Task<Task> ConnectAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return Task.Run(() => ReadAsync(response, stream, cancellationToken), cancellationToken);
    }

    private async Task ReadAsync(HttpResponseMessage response, Stream stream, CancellationToken cancellationToken)
    {
        using var owner = response;
        var buffer = new byte[64 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                if (read == 0)
                {
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                filled += read;
                var consumed = Scan(buffer.AsSpan(0, filled), now);
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The scenario is over.
        }
        catch (IOException) when (cancellationToken.IsCancellationRequested)
        {
            // The connection was torn down at the end.
        }
    }

    private int Scan(ReadOnlySpan<byte> data, long now)
    {
        var consumed = 0;
        while (true)
        {
            var end = data[consumed..].IndexOf((byte)'\n');
            if (end < 0)
            {
                return consumed;
            }

            var line = data.Slice(consumed, end);
            consumed += end + 1;
            if (!line.StartsWith("data: "u8))
            {
                continue;
            }

            Frames++;
            var at = line.IndexOf(Marker);
            if (at >= 0 && Utf8Parser.TryParse(line[(at + Marker.Length)..], out int seq, out _))
            {
                _onFrame(seq, now, ReadCreatedAt(line));
            }
        }
    }

    private static DateTimeOffset? ReadCreatedAt(ReadOnlySpan<byte> line)
    {
        var at = line.IndexOf(CreatedAt);
        if (at < 0)
        {
            return null;
        }

        var rest = line[(at + CreatedAt.Length)..];
        var end = rest.IndexOf((byte)'"');
        // The server's JSON escapes '+' in offsets as \u002B.
        var text = Encoding.UTF8.GetString(rest[..end]).Replace("\\u002B", "+", StringComparison.OrdinalIgnoreCase);
        return end > 0 && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var value)
            ? value
            : null;
    }
}
