using System.Net;
using System.Text;
using System.Text.Json;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Daemon.Infrastructure;

namespace AgentKanban.Daemon.Setup;

/// <summary>Who this daemon is on the board: its machine id and the machine key it authenticates with.</summary>
public sealed record MachineIdentity(string MachineId, string MachineKey);

/// <summary>
/// Turns the configured credentials into a machine identity. A machine key (<c>akm_…</c>) is used as is.
/// A user token (<c>akp_…</c>) registers this machine by its persisted device id (<c>POST /api/machines</c>)
/// and the issued key is kept in the state dir (<c>machine.json</c>, 0600) for the next start.
/// </summary>
public static class MachineRegistration
{
    public static async Task<MachineIdentity> EnsureAsync(
        Credentials credentials,
        StatePaths paths,
        BoardApiClient api,
        RegisterMachineRequest template,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(template);

        if (credentials.IsMachineKey)
        {
            api.UseToken(credentials.Token);
            var me = await WhoAmIAsync(api, cancellationToken)
                ?? throw new DaemonSetupException($"the server refused the machine key from {credentials.TokenSource}");
            return me.Kind == "machine"
                ? new MachineIdentity(me.Id, credentials.Token)
                : throw new DaemonSetupException($"the token from {credentials.TokenSource} is a {me.Kind} token, not a machine key");
        }

        var saved = await ReadSavedAsync(paths.MachineFile, cancellationToken);
        if (saved is not null && string.Equals(saved.Value.Server, credentials.Server, StringComparison.Ordinal))
        {
            api.UseToken(saved.Value.Identity.MachineKey);
            WhoAmIDto? me;
            try
            {
                me = await WhoAmIAsync(api, cancellationToken);
            }
            catch (ServerApiException e) when (e.IsTransient)
            {
                // The server is down: the saved identity is all the daemon needs to start (and recover) meanwhile.
                return saved.Value.Identity;
            }

            if (me is { Kind: "machine" } && me.Id == saved.Value.Identity.MachineId)
            {
                return saved.Value.Identity;
            }

            // The key was revoked or the machine deleted: register again below with the user token.
        }

        var deviceId = await DeviceIdAsync(paths, cancellationToken);
        api.UseToken(credentials.Token);
        MachineRegistrationDto registration;
        try
        {
            registration = await api.RegisterMachineAsync(template with { DeviceId = deviceId }, cancellationToken);
        }
        catch (ServerApiException e) when (!e.IsTransient)
        {
            throw new DaemonSetupException($"the server refused to register this machine: {e.Message}", e);
        }

        var identity = new MachineIdentity(registration.Machine.Id, registration.ApiKey);
        await SaveAsync(paths.MachineFile, credentials.Server, identity, cancellationToken);
        api.UseToken(identity.MachineKey);
        return identity;
    }

    /// <summary>This machine's stable device id, created once and kept in the state dir.</summary>
    public static async Task<string> DeviceIdAsync(StatePaths paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var existing = (await SecureFiles.ReadIfExistsAsync(paths.DeviceIdFile, cancellationToken))?.Trim();
        if (!string.IsNullOrEmpty(existing))
        {
            return existing;
        }

        var created = Guid.NewGuid().ToString("N");
        await SecureFiles.WriteAtomicAsync(paths.DeviceIdFile, created + "\n", cancellationToken);
        return created;
    }

    private static async Task<WhoAmIDto?> WhoAmIAsync(BoardApiClient api, CancellationToken cancellationToken)
    {
        try
        {
            return await api.WhoAmIAsync(cancellationToken);
        }
        catch (ServerApiException e) when (e.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return null;
        }
    }

    private static async Task<(string Server, MachineIdentity Identity)?> ReadSavedAsync(string path, CancellationToken cancellationToken)
    {
        var text = await SecureFiles.ReadIfExistsAsync(path, cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var server = root.GetProperty("server").GetString();
            var machineId = root.GetProperty("machine_id").GetString();
            var key = root.GetProperty("machine_key").GetString();
            return server is null || machineId is null || key is null ? null : (server, new MachineIdentity(machineId, key));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // An unreadable file is replaced by a fresh registration.
            return null;
        }
    }

    private static Task SaveAsync(string path, string server, MachineIdentity identity, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("server", server);
            json.WriteString("machine_id", identity.MachineId);
            json.WriteString("machine_key", identity.MachineKey);
            json.WriteEndObject();
        }

        return SecureFiles.WriteAtomicAsync(path, Encoding.UTF8.GetString(buffer.ToArray()) + "\n", cancellationToken);
    }
}
