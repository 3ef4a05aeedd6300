namespace AgentKanban.Cli.Output;

/// <summary>What <c>-o</c> asks for. <see cref="Table"/> is the default readable view.</summary>
public enum OutputFormat
{
    Table,
    Wide,
    Json,
    Yaml,
    /// <summary><c>kind/id</c> per line, for scripts that only need ids.</summary>
    Name,
}

public static class OutputFormats
{
    public static readonly string[] Names = ["json", "yaml", "wide", "table", "name"];

    public static OutputFormat Parse(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "table" => OutputFormat.Table,
        "wide" => OutputFormat.Wide,
        "json" => OutputFormat.Json,
        "yaml" or "yml" => OutputFormat.Yaml,
        "name" => OutputFormat.Name,
        _ => throw new UsageException($"unknown output format '{value}' (use one of: json, yaml, wide, name)"),
    };

    public static bool IsStructured(this OutputFormat format) => format is OutputFormat.Json or OutputFormat.Yaml;
}
