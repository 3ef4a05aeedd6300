using System.Text;

namespace AgentKanban.Cli.Output;

/// <summary>Plain aligned columns (no colour, no box drawing), so the output is the same in a terminal, a pipe or a file.</summary>
public static class TableWriter
{
    private const string Gap = "   ";

    public static void Write(TextWriter writer, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        var cells = rows.Select(r => r.Select(Clean).ToArray()).ToList();
        var widths = headers.Select(h => h.Length).ToArray();
        foreach (var row in cells)
        {
            for (var i = 0; i < widths.Length && i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        WriteRow(writer, headers.ToArray(), widths);
        foreach (var row in cells)
        {
            WriteRow(writer, row, widths);
        }
    }

    /// <summary>Cuts a cell to <paramref name="max"/> characters with an ellipsis (0 = no limit).</summary>
    public static string? Truncate(string? value, int max) =>
        value is null || max <= 0 || value.Length <= max ? value : string.Concat(value.AsSpan(0, max - 1), "…");

    /// <summary>Key/value lines (<c>describe</c>): labels padded to the longest one.</summary>
    public static void WriteFields(TextWriter writer, IReadOnlyList<(string Label, string? Value)> fields, string indent = "")
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(fields);
        var width = fields.Count == 0 ? 0 : fields.Max(f => f.Label.Length) + 1;
        foreach (var (label, value) in fields)
        {
            var text = string.IsNullOrEmpty(value) ? "<none>" : value;
            var lines = text.Split('\n');
            writer.WriteLine($"{indent}{(label + ":").PadRight(width)}  {lines[0].TrimEnd()}".TrimEnd());
            foreach (var more in lines.Skip(1))
            {
                writer.WriteLine($"{indent}{new string(' ', width)}  {more.TrimEnd()}".TrimEnd());
            }
        }
    }

    private static void WriteRow(TextWriter writer, string[] row, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = i < row.Length ? row[i] : "";
            if (i > 0)
            {
                line.Append(Gap);
            }

            line.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i]));
        }

        writer.WriteLine(line.ToString().TrimEnd());
    }

    private static string Clean(string? value) =>
        string.IsNullOrEmpty(value) ? "" : value.ReplaceLineEndings(" ").Replace('\t', ' ');
}
