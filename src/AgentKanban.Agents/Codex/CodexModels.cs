using System.Buffers;
using System.Text.Json;
using AgentKanban.Agents.Process;
using AgentKanban.Agents.Runtimes;

namespace AgentKanban.Agents.Codex;

/// <summary>
/// The models Codex offers, from the catalog bundled with the CLI: <c>codex debug models --bundled</c> prints it as JSON
/// (<c>{"models":[{"slug","display_name","description","visibility","priority",…}]}</c>) without touching the network
/// (verified on 0.169.0; without <c>--bundled</c> it refreshes the catalog from the provider first). Models Codex hides
/// from its own picker (<c>visibility</c> other than <c>list</c>) are left out; the rest come in Codex's order
/// (<c>priority</c>, lowest first).
/// </summary>
public static class CodexModels
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task<IReadOnlyList<RuntimeModel>?> ListAsync(string executable, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in environment)
        {
            if (value is not null)
            {
                variables[name] = value;
            }
        }

        await using var process = AgentProcess.Start(new AgentProcessOptions
        {
            Executable = executable,
            Arguments = ["debug", "models", "--bundled"],
            Environment = variables,
            WorkingDirectory = Path.GetTempPath(),
            MaxLineBytes = 64 * 1024 * 1024,
        });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Patience);
        var output = new ArrayBufferWriter<byte>(1024 * 1024);
        await foreach (var line in process.Output.ReadAllAsync(deadline.Token))
        {
            if (line.Kind == OutputLineKind.Line)
            {
                output.Write(line.Bytes.Span);
                output.Write("\n"u8);
            }
        }

        var exit = await process.Exited.WaitAsync(deadline.Token);
        return exit.ExitCode == 0 ? Parse(output.WrittenSpan) : null;
    }

    /// <summary>The listed models of a catalog, Codex's preferred first; null when the text is not a catalog.</summary>
    public static IReadOnlyList<RuntimeModel>? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            List<(int Priority, int Order, RuntimeModel Model)>? models = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModels = reader.ValueTextEquals("models"u8);
                reader.Read();
                if (!isModels || reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }

                models = [];
                while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                {
                    if (ReadModel(ref reader) is { } model)
                    {
                        models.Add((model.Priority, models.Count, model.Model));
                    }
                }
            }

            return models?.OrderBy(m => m.Priority).ThenBy(m => m.Order).Select(m => m.Model).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static (int Priority, RuntimeModel Model)? ReadModel(ref Utf8JsonReader reader)
    {
        string? slug = null, display = null, description = null;
        var listed = true;
        var priority = int.MaxValue;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("slug"u8))
            {
                slug = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("display_name"u8))
            {
                display = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("description"u8))
            {
                description = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("visibility"u8))
            {
                listed = ReadString(ref reader) is null or "list";
            }
            else if (reader.ValueTextEquals("priority"u8))
            {
                reader.Read();
                priority = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var p) ? p : int.MaxValue;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return slug is { Length: > 0 } && listed ? (priority, new RuntimeModel(slug, display, description)) : null;
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        reader.Skip();
        return value;
    }
}
