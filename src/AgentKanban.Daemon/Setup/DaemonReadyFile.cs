using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentKanban.Daemon.Infrastructure;

namespace AgentKanban.Daemon.Setup;

/// <summary>What a running daemon says about itself in <c>daemon.json</c> once it is ready.</summary>
public sealed record DaemonReady(int Pid, DateTimeOffset StartedAt, string Server, string MachineId, string MachineName, string? Version, string? Sandbox = null);

/// <summary>
/// <c>daemon.json</c> in the state dir: written (atomically) once the daemon has registered, sent its first
/// heartbeat and started its loops; removed when it stops. <c>ak daemon start</c> waits for it, <c>ak daemon
/// status</c> reads it. It is only ever trusted together with the instance lock: after a <c>kill -9</c> the file
/// stays behind, but its pid no longer holds the lock.
/// </summary>
public static class DaemonReadyFile
{
    public static Task WriteAsync(string path, DaemonReady ready, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ready);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("pid", ready.Pid);
            json.WriteString("started_at", ready.StartedAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("server", ready.Server);
            json.WriteString("machine_id", ready.MachineId);
            json.WriteString("machine_name", ready.MachineName);
            json.WriteString("version", ready.Version);
            json.WriteString("sandbox", ready.Sandbox);
            json.WriteEndObject();
        }

        return SecureFiles.WriteAtomicAsync(path, Encoding.UTF8.GetString(buffer.ToArray()) + "\n", cancellationToken);
    }

    /// <summary>The file's content, or null when it is missing or unreadable (a daemon still starting, or none).</summary>
    public static async Task<DaemonReady?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var text = await SecureFiles.ReadIfExistsAsync(path, cancellationToken);
        if (text is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            return new DaemonReady(
                root.GetProperty("pid").GetInt32(),
                DateTimeOffset.Parse(root.GetProperty("started_at").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                root.GetProperty("server").GetString()!,
                root.GetProperty("machine_id").GetString()!,
                root.GetProperty("machine_name").GetString()!,
                root.TryGetProperty("version", out var version) ? version.GetString() : null,
                root.TryGetProperty("sandbox", out var sandbox) ? sandbox.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentNullException)
        {
            return null;
        }
    }

    /// <summary>Removes the file; a leftover is harmless anyway (it is ignored unless its pid holds the lock).</summary>
    public static void Delete(string path) => SecureFiles.DeleteQuietly(path);
}
