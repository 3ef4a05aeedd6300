using System.Text.Json.Serialization.Metadata;

namespace AgentKanban.Cli.Output;

/// <summary>One table column: a header and how to read the cell from an item.</summary>
public sealed record Column<T>(string Header, Func<T, string?> Value, int MaxWidth = 0);

/// <summary>
/// How one kind of resource is printed in every format: its JSON shape, its YAML <c>kind</c>, its id and
/// its table columns (<see cref="WideColumns"/> are appended for <c>-o wide</c>).
/// </summary>
public sealed record ResourceView<T>(
    string Name,
    string YamlKind,
    JsonTypeInfo<T> TypeInfo,
    Func<T, string> Id,
    IReadOnlyList<Column<T>> Columns,
    IReadOnlyList<Column<T>> WideColumns)
{
    /// <summary>Plural used in messages ("No tasks found").</summary>
    public string Plural => Name.EndsWith('s') ? Name : Name + "s";
}
