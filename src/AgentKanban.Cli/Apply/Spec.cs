using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentKanban.Cli.Parsing;

namespace AgentKanban.Cli.Apply;

/// <summary>
/// A document's <c>spec</c> with keys normalised to snake_case (<c>boardId</c> → <c>board_id</c>), read field by
/// field. Unknown keys are refused so a typo does not silently do nothing; output-only fields are ignored
/// so what <c>ak get -o yaml</c> prints applies back.
/// </summary>
public sealed class Spec
{
    private readonly Dictionary<string, JsonNode?> _fields;
    private readonly string _where;

    public Spec(JsonObject spec, string where)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _where = where;
        _fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in spec)
        {
            if (!_fields.TryAdd(ToSnakeCase(key), value))
            {
                throw Error($"field '{key}' is given twice");
            }
        }
    }

    public CliFailureException Error(string message) => new($"{_where}: {message}");

    /// <summary>Fails on any key that is neither accepted nor a known output-only field.</summary>
    public void RequireKnown(IReadOnlyCollection<string> accepted, IReadOnlyCollection<string> ignored)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        ArgumentNullException.ThrowIfNull(ignored);
        var unknown = _fields.Keys.Where(k => !accepted.Contains(k) && !ignored.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw Error($"unknown field{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))} (known: {string.Join(", ", accepted)})");
        }
    }

    public bool Has(params string[] names) => names.Any(n => _fields.TryGetValue(n, out var v) && v is not null);

    /// <summary>A text field (numbers and booleans are taken as their text); null when absent.</summary>
    public string? String(params string[] names)
    {
        var (name, node) = Find(names);
        return node switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            JsonValue value => value.ToJsonString(),
            _ => throw Error($"'{name}' must be text"),
        };
    }

    public string RequiredString(params string[] names) =>
        String(names) is { Length: > 0 } value ? value : throw Error($"'{names[0]}' is required");

    /// <summary>A list of text: a YAML/JSON list, or one comma-separated string. Null when absent.</summary>
    public IReadOnlyList<string>? List(params string[] names)
    {
        var (name, node) = Find(names);
        return node switch
        {
            null => null,
            JsonArray array => [.. array.Select(item => item is JsonValue v
                ? v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()
                : throw Error($"'{name}' must be a list of text"))],
            JsonValue value when value.GetValueKind() == JsonValueKind.String => CommonOptions.SplitList(value.GetValue<string>()),
            _ => throw Error($"'{name}' must be a list"),
        };
    }

    public long? Long(params string[] names)
    {
        var (name, node) = Find(names);
        return node switch
        {
            null => null,
            JsonValue value when value.TryGetValue<long>(out var n) => n,
            JsonValue value when value.GetValueKind() == JsonValueKind.String
                && long.TryParse(value.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw Error($"'{name}' must be a whole number"),
        };
    }

    /// <summary>An ISO-8601 time with zone, as given (validated).</summary>
    public string? Timestamp(params string[] names)
    {
        var text = String(names);
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }

        return Timestamps.TryParse(text, out _) ? text : throw Error($"'{names[0]}': '{text}' is not an ISO-8601 time with a zone");
    }

    public JsonArray? Array(string name) => Find([name]).Node switch
    {
        null => null,
        JsonArray array => array,
        _ => throw Error($"'{name}' must be a list"),
    };

    public static string ToSnakeCase(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var builder = new StringBuilder(key.Length + 4);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c == '-')
            {
                builder.Append('_');
            }
            else if (char.IsUpper(c))
            {
                if (i > 0 && builder.Length > 0 && builder[^1] != '_')
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private (string Name, JsonNode? Node) Find(string[] names)
    {
        var present = names.Where(n => _fields.TryGetValue(n, out var v) && v is not null).ToList();
        if (present.Count > 1)
        {
            throw Error($"give only one of {string.Join(", ", present.Select(p => $"'{p}'"))}");
        }

        return present.Count == 1 ? (present[0], _fields[present[0]]) : (names[0], null);
    }
}
