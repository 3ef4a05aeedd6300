using System.Text.RegularExpressions;

namespace AgentKanban.Server.Data;

/// <summary>Field checks shared by the endpoints; each failure is a 400 naming the field.</summary>
public static partial class Validate
{
    /// <summary>A required single-line name: trimmed, 1..<paramref name="max"/> characters, no control characters.</summary>
    public static string Name(string field, string? value, int max = 100)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw DomainException.Validation(field, $"'{field}' is required");
        }

        return SingleLine(field, trimmed, max);
    }

    /// <summary>An optional single-line value (null stays null).</summary>
    public static string? OptionalName(string field, string? value, int max = 200) =>
        value is null ? null : SingleLine(field, value.Trim(), max);

    /// <summary>Free text (descriptions, notes, messages): any characters but NUL, bounded length.</summary>
    public static string? Text(string field, string? value, int max = 65_536)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > max)
        {
            throw DomainException.Validation(field, $"'{field}' is longer than {max} characters");
        }

        if (value.Contains('\0', StringComparison.Ordinal) || !IsWellFormed(value))
        {
            throw DomainException.Validation(field, $"'{field}' contains a NUL character or invalid Unicode");
        }

        return value;
    }

    public static string RequiredText(string field, string? value, int max = 65_536)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw DomainException.Validation(field, $"'{field}' is required");
        }

        return Text(field, value, max)!;
    }

    /// <summary>One of the allowed values (case-sensitive wire names).</summary>
    public static string OneOf(string field, string? value, IReadOnlyCollection<string> allowed, string? fallback = null)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (value is null && fallback is not null)
        {
            return fallback;
        }

        if (value is null || !allowed.Contains(value))
        {
            throw DomainException.Validation(field, $"'{field}' must be one of: {string.Join(", ", allowed)}" +
                (value is null ? "" : $" (got '{Truncate(value)}')"));
        }

        return value;
    }

    /// <summary>Agent usernames: lower-case letters, digits and dashes, 1–40 characters, no leading/trailing dash.</summary>
    public static string Username(string field, string? value)
    {
        var name = Name(field, value, 40);
        if (!UsernamePattern().IsMatch(name))
        {
            throw DomainException.Validation(field, $"'{field}' must be 1–40 lower-case letters, digits or dashes, not starting or ending with a dash");
        }

        return name;
    }

    /// <summary>Label colours are <c>#RRGGBB</c>.</summary>
    public static string Color(string field, string? value)
    {
        if (value is null || !ColorPattern().IsMatch(value))
        {
            throw DomainException.Validation(field, $"'{field}' must be a colour like #1f6feb");
        }

        return value.ToLowerInvariant();
    }

    /// <summary>
    /// True when the text has no NUL and no unpaired UTF-16 surrogate: such text cannot be stored (PostgreSQL refuses
    /// NUL; strict UTF-8 encoders refuse lone surrogates), so it must be refused as input, never reach the database.
    /// </summary>
    public static bool IsStorable(string? value) =>
        value is null || (!value.Contains('\0', StringComparison.Ordinal) && IsWellFormed(value));

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Keeps echoed input short in messages.</summary>
    public static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private static string SingleLine(string field, string value, int max)
    {
        if (value.Length > max)
        {
            throw DomainException.Validation(field, $"'{field}' is longer than {max} characters");
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                throw DomainException.Validation(field, $"'{field}' must be a single line without control characters");
            }
        }

        if (!IsWellFormed(value))
        {
            throw DomainException.Validation(field, $"'{field}' contains invalid Unicode (an unpaired surrogate)");
        }

        return value;
    }

    [GeneratedRegex("^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,38}[a-z0-9])$")]
    private static partial Regex UsernamePattern();

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex ColorPattern();
}
