using System.Text;

namespace AgentKanban.Daemon.Git;

/// <summary>Reads a pipe to its end while keeping at most a fixed number of bytes: the head or the tail.</summary>
internal static class BoundedCapture
{
    private const int ChunkSize = 16 * 1024;

    /// <summary>Keeps the first <paramref name="limit"/> bytes; later bytes are read and dropped.</summary>
    public static async Task<(string Text, bool Truncated)> ReadHeadAsync(Stream stream, int limit)
    {
        using var kept = new MemoryStream();
        var buffer = new byte[ChunkSize];
        var truncated = false;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                var room = limit - (int)kept.Length;
                if (room > 0)
                {
                    kept.Write(buffer, 0, Math.Min(room, read));
                }

                truncated |= read > room;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe was closed under us (the runner gave up waiting for a lingering holder): keep what arrived.
            truncated = true;
        }

        return (Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length), truncated);
    }

    /// <summary>Keeps the last <paramref name="limit"/> bytes (a ring), which is where git puts the reason it failed.</summary>
    public static async Task<string> ReadTailAsync(Stream stream, int limit)
    {
        var ring = new byte[limit];
        long total = 0;
        var buffer = new byte[ChunkSize];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                // Only the last `limit` bytes of this chunk can survive; copy them in at most two pieces.
                var skip = Math.Max(0, read - limit);
                total += skip;
                var remaining = read - skip;
                var offset = skip;
                while (remaining > 0)
                {
                    var at = (int)(total % limit);
                    var count = Math.Min(remaining, limit - at);
                    Array.Copy(buffer, offset, ring, at, count);
                    total += count;
                    offset += count;
                    remaining -= count;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // See ReadHeadAsync: a closed pipe ends the capture, it is not an error of the command.
        }

        if (total <= limit)
        {
            return Encoding.UTF8.GetString(ring, 0, (int)total);
        }

        var start = (int)(total % limit);
        var ordered = new byte[limit];
        Array.Copy(ring, start, ordered, 0, limit - start);
        Array.Copy(ring, 0, ordered, limit - start, start);
        return Encoding.UTF8.GetString(ordered);
    }
}
