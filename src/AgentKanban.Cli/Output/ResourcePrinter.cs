using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentKanban.Cli.Output;

/// <summary>Prints one resource or a list of them in the requested format.</summary>
public static class ResourcePrinter
{
    public static void WriteOne<T>(TextWriter writer, ResourceView<T> view, T item, OutputFormat format)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(view);
        switch (format)
        {
            case OutputFormat.Json:
                JsonOutput.WriteOne(writer, item, view.TypeInfo);
                break;
            case OutputFormat.Yaml:
                YamlJson.WriteDocuments(writer, [ToYamlDocument(view, item)]);
                break;
            case OutputFormat.Name:
                writer.WriteLine($"{view.Name}/{view.Id(item)}");
                break;
            default:
                WriteTable(writer, view, [item], format == OutputFormat.Wide);
                break;
        }
    }

    /// <summary>A list: a JSON array, one YAML document per item, or a table. An empty table says so on stderr.</summary>
    public static void WriteMany<T>(TextWriter writer, TextWriter errors, ResourceView<T> view, IReadOnlyList<T> items, OutputFormat format)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(errors);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(items);
        switch (format)
        {
            case OutputFormat.Json:
                JsonOutput.WriteMany(writer, items, view.TypeInfo);
                break;
            case OutputFormat.Yaml:
                if (items.Count > 0)
                {
                    YamlJson.WriteDocuments(writer, items.Select(i => ToYamlDocument(view, i)));
                }

                break;
            case OutputFormat.Name:
                foreach (var item in items)
                {
                    writer.WriteLine($"{view.Name}/{view.Id(item)}");
                }

                break;
            default:
                if (items.Count == 0)
                {
                    errors.WriteLine($"No {view.Plural} found.");
                    return;
                }

                WriteTable(writer, view, items, format == OutputFormat.Wide);
                break;
        }
    }

    /// <summary><c>{kind, spec}</c>: the shape <c>ak apply</c> reads. Nulls are left out so the spec stays short.</summary>
    public static JsonObject ToYamlDocument<T>(ResourceView<T> view, T item)
    {
        ArgumentNullException.ThrowIfNull(view);
        var spec = JsonSerializer.SerializeToNode(item, view.TypeInfo) ?? new JsonObject();
        return new JsonObject
        {
            ["kind"] = view.YamlKind,
            ["spec"] = WithoutNulls(spec),
        };
    }

    private static JsonNode WithoutNulls(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
            {
                obj.Remove(key);
            }

            foreach (var (_, value) in obj)
            {
                WithoutNulls(value!);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var item in array.Where(i => i is not null))
            {
                WithoutNulls(item!);
            }
        }

        return node;
    }

    private static void WriteTable<T>(TextWriter writer, ResourceView<T> view, IReadOnlyList<T> items, bool wide)
    {
        var columns = wide ? [.. view.Columns, .. view.WideColumns] : view.Columns;
        TableWriter.Write(
            writer,
            columns.Select(c => c.Header).ToList(),
            items.Select(item => (IReadOnlyList<string?>)columns
                .Select(c => wide ? c.Value(item) : TableWriter.Truncate(c.Value(item), c.MaxWidth))
                .ToList()));
    }
}
