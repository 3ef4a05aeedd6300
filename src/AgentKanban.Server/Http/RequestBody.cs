using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentKanban.Contracts;
using AgentKanban.Server.Data;

namespace AgentKanban.Server.Http;

/// <summary>
/// Reads JSON request bodies with the server's own rules: at most 1 MiB (413), JSON only, and every parse or type
/// error answered as a 400 naming the field — the framework's binder would answer some of these without our envelope.
/// </summary>
public static class RequestBody
{
    public const long MaxBytes = 1024 * 1024;

    /// <summary>
    /// Kestrel's own cut-off, above <see cref="MaxBytes"/> on purpose. A body between the two is refused with a 413 by
    /// our code and Kestrel then reads and discards the rest, so the client, still sending, gets a clean 413 instead of
    /// a connection reset mid-upload. Beyond this size Kestrel closes the connection.
    /// </summary>
    public const long HardLimitBytes = 8 * MaxBytes;

    /// <summary>Parses the body; an empty body is refused unless <paramref name="optional"/> (then null).</summary>
    public static async Task<T?> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, bool optional, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > MaxBytes)
        {
            throw TooLarge();
        }

        if (request.ContentType is { Length: > 0 } contentType
            && !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            && !contentType.Contains("+json", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.BadRequest,
                $"Content-Type must be application/json, not '{contentType}'");
        }

        var bytes = await ReadAllAsync(request, cancellationToken);
        if (IsBlank(bytes))
        {
            return optional ? null : throw DomainException.BadRequest("a JSON request body is required");
        }

        T? value;
        try
        {
            value = JsonSerializer.Deserialize(bytes, typeInfo);
        }
        catch (JsonException e)
        {
            throw Describe(e);
        }

        return value ?? (optional ? null : throw DomainException.BadRequest("the request body must be a JSON object"));
    }

    private static async Task<byte[]> ReadAllAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                if (read.Buffer.Length > MaxBytes)
                {
                    reader.AdvanceTo(read.Buffer.End);
                    // Read the rest (bounded by Kestrel's hard limit) so the sender, still writing, gets the 413.
                    await DiscardRestAsync(reader, cancellationToken);
                    throw TooLarge();
                }

                if (read.IsCompleted || read.IsCanceled)
                {
                    var bytes = read.Buffer.ToArray();
                    reader.AdvanceTo(read.Buffer.End);
                    return bytes;
                }

                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Past the hard limit: Kestrel gives up on the connection; the answer is the same.
            throw TooLarge();
        }
        catch (BadHttpRequestException e)
        {
            throw new ApiException(e.StatusCode, ErrorCodes.BadRequest, "the request body could not be read: " + e.Message);
        }
        catch (InvalidOperationException) when (request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            throw new OperationCanceledException(request.HttpContext.RequestAborted);
        }
    }

    private static async Task DiscardRestAsync(System.IO.Pipelines.PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                return;
            }
        }
    }

    private static ApiException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, $"request body exceeds {MaxBytes} bytes (1 MiB)");

    private static bool IsBlank(byte[] bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Turns a serializer error into a message a user can act on, naming the field when there is one.</summary>
    private static Exception Describe(JsonException e)
    {
        var field = FieldOf(e.Path);
        var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
        if (field is null)
        {
            return new ApiException(StatusCodes.Status400BadRequest, ErrorCodes.BadRequest, "malformed JSON body" + where);
        }

        // Our own converters explain themselves; the serializer's messages name .NET types, so say it plainly.
        var own = !e.Message.Contains("Path:", StringComparison.Ordinal) && !e.Message.Contains("System.", StringComparison.Ordinal);
        return DomainException.Validation(field, own ? $"'{field}' {e.Message}" : $"'{field}' has the wrong type or format" + where);
    }

    /// <summary><c>$.labels[2]</c> → <c>labels</c>; <c>$</c> or null → null.</summary>
    private static string? FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$" || !path.StartsWith("$.", StringComparison.Ordinal))
        {
            return null;
        }

        var name = path[2..];
        var cut = name.IndexOfAny(['.', '[']);
        return cut > 0 ? name[..cut] : name;
    }
}
