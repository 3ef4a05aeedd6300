using System.Runtime.CompilerServices;
using System.Text;

namespace AgentKanban.Client.Sse;

/// <summary>
/// Reads Server-Sent Events frames from a text stream: <c>id:</c>, <c>event:</c>, multi-line <c>data:</c>; comments
/// (keep-alives), <c>retry:</c> and unknown fields are skipped; a frame without data is not dispatched, and a frame cut
/// off by the end of the stream is dropped. Lines may end in LF, CRLF or CR.
/// </summary>
public static class SseReader
{
    public static async IAsyncEnumerable<SseFrame> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string? id = null;
        string? type = null;
        var data = new StringBuilder();
        var hasData = false;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData)
                {
                    yield return new SseFrame(id, type, data.ToString());
                }

                type = null;
                data.Clear();
                hasData = false;
                continue;
            }

            if (line[0] == ':')
            {
                continue; // comment: a keep-alive
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "id" when !value.Contains('\0', StringComparison.Ordinal):
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    if (hasData)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    hasData = true;
                    break;
                default:
                    break; // retry:, unknown fields, an id with a NUL (ignored, as the spec says)
            }
        }
    }
}
