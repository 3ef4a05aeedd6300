using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AgentKanban.Cli.Output;

/// <summary>
/// YAML ⇄ JSON trees through YamlDotNet's event API (no object mapping, so no reflection). Output quotes every
/// string that a YAML reader would take for something else, so what <c>-o yaml</c> prints reads back unchanged.
/// Scalars follow the YAML 1.2 core schema: null, true/false, integers and floats; everything else is a string.
/// </summary>
public static partial class YamlJson
{
    /// <summary>Writes each node as one YAML document, separated by <c>---</c>.</summary>
    public static void WriteDocuments(TextWriter writer, IEnumerable<JsonNode?> documents)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(documents);
        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            // Explicit "---" on every document: a reader (or `ak apply`) sees the boundaries even when concatenated.
            emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            EmitNode(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }

        emitter.Emit(new StreamEnd());
    }

    /// <summary>Every document of a YAML stream as a JSON tree (empty documents are skipped).</summary>
    public static List<JsonNode?> ReadDocuments(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var parser = new Parser(reader);
        var documents = new List<JsonNode?>();
        parser.Consume<StreamStart>();
        while (!parser.TryConsume<StreamEnd>(out _))
        {
            parser.Consume<DocumentStart>();
            if (parser.TryConsume<DocumentEnd>(out _))
            {
                continue;
            }

            var node = ReadNode(parser);
            parser.Consume<DocumentEnd>();
            if (node is not null)
            {
                documents.Add(node);
            }
        }

        return documents;
    }

    private static JsonNode? ReadNode(IParser parser)
    {
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            return ScalarToJson(scalar);
        }

        if (parser.TryConsume<SequenceStart>(out _))
        {
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                array.Add(ReadNode(parser));
            }

            return array;
        }

        if (parser.TryConsume<MappingStart>(out _))
        {
            var obj = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                if (!parser.TryConsume<Scalar>(out var key))
                {
                    throw new YamlException(parser.Current!.Start, parser.Current.End, "only plain keys are supported in a mapping");
                }

                var value = ReadNode(parser);
                obj[key.Value] = value;
            }

            return obj;
        }

        if (parser.Current is AnchorAlias alias)
        {
            throw new YamlException(alias.Start, alias.End, "YAML aliases (*name) are not supported");
        }

        throw new YamlException(parser.Current!.Start, parser.Current.End, $"unexpected {parser.Current.GetType().Name}");
    }

    private static JsonValue? ScalarToJson(Scalar scalar)
    {
        var text = scalar.Value;
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        if (text.Length == 0 || text is "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (text is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real))
        {
            return JsonValue.Create(real);
        }

        return JsonValue.Create(text);
    }

    private static void EmitNode(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    EmitNode(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                // Empty lists stay visible as "[]" rather than disappearing.
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    EmitNode(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            default:
                EmitValue(emitter, node.AsValue());
                break;
        }
    }

    private static void EmitValue(IEmitter emitter, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "true", ScalarStyle.Plain, true, false));
                break;
            case JsonValueKind.False:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "false", ScalarStyle.Plain, true, false));
                break;
            case JsonValueKind.Null:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "null", ScalarStyle.Plain, true, false));
                break;
            default:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string text)
    {
        var style = NeedsQuotes(text) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, style, true, true));
    }

    /// <summary>True when a plain scalar would read back as something other than this exact string.</summary>
    public static bool NeedsQuotes(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || text.Trim().Length != text.Length || text.Contains('\n', StringComparison.Ordinal))
        {
            return true;
        }

        if (ScalarToJson(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false)) is not JsonValue v
            || v.GetValueKind() != JsonValueKind.String)
        {
            return true;
        }

        // Words and forms other YAML readers (1.1) take for booleans, numbers or special values.
        return AmbiguousPattern().IsMatch(text);
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^(?i:y|n|yes|no|on|off|\.inf|[-+]\.inf|\.nan|0x[0-9a-f_]+|0o[0-7]+|[-+]?[0-9][0-9_:.eE+-]*)$")]
    private static partial Regex AmbiguousPattern();
}
