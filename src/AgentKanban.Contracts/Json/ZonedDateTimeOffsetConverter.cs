using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentKanban.Contracts.Json;

/// <summary>
/// Reads an ISO-8601 timestamp only when it carries its time zone (<c>Z</c> or <c>±HH:MM</c>): a zone-less time would
/// silently mean the reader's local time. Writes the round-trip form.
/// </summary>
public sealed class ZonedDateTimeOffsetConverter : JsonConverter<DateTimeOffset?>
{
    public const string Expectation = "must be an ISO-8601 timestamp with a time zone, e.g. 2026-05-01T09:00:00Z or 2026-05-01T11:00:00+02:00";

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.String || !TryParse(reader.GetString(), out var value))
        {
            throw new JsonException(Expectation);
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value.Value.ToString("O", CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Strict parse: date, <c>T</c>, time with seconds (optional fraction), and a zone.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length < 20 || text.Length > 40 || text[10] != 'T')
        {
            return false;
        }

        var last = text[^1];
        var hasZone = last is 'Z' or 'z' || (text.Length >= 6 && text[^3] == ':' && text[^6] is '+' or '-');
        return hasZone && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out value);
    }
}
