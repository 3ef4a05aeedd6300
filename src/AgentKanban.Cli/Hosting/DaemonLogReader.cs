using System.Text;
using AgentKanban.Daemon.Setup;

namespace AgentKanban.Cli.Hosting;

/// <summary>
/// <c>ak daemon logs</c>: the daemon log, whole or its last lines, and <c>-f</c> to follow it. Following survives the
/// logger's rotation (the file is renamed to <c>daemon.log.1</c> and a new one begins) and truncation: what was
/// written to the old file is read to its end, then the new file is read from its start.
/// </summary>
internal static class DaemonLogReader
{
    private static readonly TimeSpan FollowInterval = TimeSpan.FromMilliseconds(250);
    private const int ChunkSize = 64 * 1024;

    public static async Task<int> PrintAsync(CliContext context, string? stateDir, int? tail, bool follow, CancellationToken cancellationToken)
    {
        var path = StatePaths.Resolve(stateDir, context.Env).LogFile;
        if (!File.Exists(path) && !follow)
        {
            throw new CliFailureException($"no daemon log at {path} (has a daemon run with this state dir?)");
        }

        try
        {
            var stream = File.Exists(path) ? Open(path) : null;
            try
            {
                if (stream is not null)
                {
                    stream.Position = tail is { } lines ? await StartOfLastLinesAsync(stream, lines, cancellationToken) : 0;
                    await CopyAsync(stream, context.Out, cancellationToken);
                }

                if (!follow)
                {
                    return CliApp.Success;
                }

                while (true)
                {
                    await Task.Delay(FollowInterval, context.Time, cancellationToken);
                    if (stream is not null)
                    {
                        await CopyAsync(stream, context.Out, cancellationToken);
                        if (stream.Length < stream.Position)
                        {
                            // Truncated in place: start over from its beginning.
                            stream.Position = 0;
                        }
                        else if (Replaced(stream, path))
                        {
                            // Rotated: read what reached the old file before the rename, then go on with the new one.
                            await CopyAsync(stream, context.Out, cancellationToken);
                            await stream.DisposeAsync();
                            stream = null;
                        }
                    }

                    if (stream is null && File.Exists(path))
                    {
                        stream = Open(path);
                        await CopyAsync(stream, context.Out, cancellationToken);
                    }
                }
            }
            finally
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && follow)
        {
            // Ctrl-C is how following ends.
            return CliApp.Success;
        }
    }

    /// <summary>The last <paramref name="count"/> lines after byte <paramref name="from"/> (for a start-up failure report).</summary>
    public static async Task<IReadOnlyList<string>> LastLinesAsync(string path, long from, int count, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        await using var stream = Open(path);
        var start = await StartOfLastLinesAsync(stream, count, cancellationToken);
        stream.Position = Math.Max(start, Math.Min(from, stream.Length));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static FileStream Open(string path) =>
        new(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            // The daemon keeps writing, renames and recreates it: never stand in its way.
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.SequentialScan,
        });

    /// <summary>Whether the open file is no longer the one at <paramref name="path"/> (renamed away or deleted).</summary>
    private static bool Replaced(FileStream stream, string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        // Linux names what an open descriptor refers to; elsewhere a shorter file at the path is the tell.
        var link = $"/proc/self/fd/{stream.SafeFileHandle.DangerousGetHandle()}";
        try
        {
            var target = new FileInfo(link).LinkTarget;
            if (target is not null)
            {
                return !string.Equals(target, Path.GetFullPath(path), StringComparison.Ordinal);
            }
        }
        catch (IOException)
        {
            // No /proc: fall through.
        }

        return new FileInfo(path).Length < stream.Position;
    }

    /// <summary>Byte offset where the last <paramref name="lines"/> lines begin (a trailing newline ends the last line).</summary>
    private static async Task<long> StartOfLastLinesAsync(FileStream stream, int lines, CancellationToken cancellationToken)
    {
        var length = stream.Length;
        if (lines <= 0)
        {
            return length;
        }

        var buffer = new byte[ChunkSize];
        var position = length;
        var newlines = 0;
        var first = true;
        while (position > 0)
        {
            var size = (int)Math.Min(ChunkSize, position);
            position -= size;
            stream.Position = position;
            await stream.ReadExactlyAsync(buffer.AsMemory(0, size), cancellationToken);
            for (var i = size - 1; i >= 0; i--)
            {
                if (buffer[i] != (byte)'\n')
                {
                    first = false;
                    continue;
                }

                // The newline that ends the file does not start a line.
                if (first && position + i == length - 1)
                {
                    continue;
                }

                if (++newlines == lines)
                {
                    return position + i + 1;
                }
            }
        }

        return 0;
    }

    private static async Task CopyAsync(FileStream stream, TextWriter output, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkSize];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(ChunkSize)];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var count = decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
            await output.WriteAsync(chars.AsMemory(0, count), cancellationToken);
        }

        await output.FlushAsync(cancellationToken);
    }
}
