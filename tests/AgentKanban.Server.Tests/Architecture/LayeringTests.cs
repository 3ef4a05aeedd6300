using System.Reflection;
using System.Reflection.Emit;

namespace AgentKanban.Server.Tests.Architecture;

/// <summary>
/// The server's folders are layers and may only depend downwards (docs/ARCHITECTURE.md, "The server's layers"):
/// <c>Api, Web → Http → Auth → Data → Storage → Hosting</c>, <c>Leases → Data</c>, <c>Streams → Storage</c>. The check
/// reads the compiled assembly, not the source: every type a layer's code names — in signatures, base types, fields,
/// locals and every token of its method bodies (so lambdas, async state machines and fully qualified names count too) —
/// must belong to a layer it may use.
/// </summary>
public sealed class LayeringTests
{
    private const string Root = "AgentKanban.Server";

    /// <summary>
    /// Root-namespace types everyone below the composition may name: the options record and the log message catalog.
    /// The rest of the root (<c>ServerHost</c>, <c>StorageStartup</c>) is the composition, which nothing depends on.
    /// </summary>
    private static readonly string[] OptionsTypes = ["ServerOptions", "ServerLog"];

    private const string Options = "(options)";
    private const string Composition = "(composition)";

    /// <summary>Each layer and every layer it may use (besides itself).</summary>
    public static TheoryData<string, string[]> Rules() => new()
    {
        { "Hosting", [] },
        { "Storage", ["Hosting"] },
        { "Data", ["Storage", "Hosting"] },
        { "Auth", ["Data", "Storage", "Hosting", Options] },
        { "Http", ["Auth", "Data", "Storage", "Hosting", Options] },
        { "Leases", ["Data", "Storage", "Hosting", Options] },
        { "Streams", ["Storage", "Hosting", Options] },
        { "Api", ["Http", "Auth", "Data", "Leases", "Streams", "Storage", "Hosting", Options] },
        { "Web", ["Http", "Auth", "Data", "Leases", "Streams", "Storage", "Hosting", Options] },
        { Options, ["Storage"] },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_layer_uses_only_the_layers_below_it(string layer, string[] allowed)
    {
        var types = ServerTypes().Where(t => LayerOf(t) == layer).ToList();
        Assert.NotEmpty(types);

        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            foreach (var used in ReferencedTypes(type))
            {
                var usedLayer = LayerOf(used);
                if (usedLayer is not null && usedLayer != layer && !allowed.Contains(usedLayer))
                {
                    violations.Add($"{Outermost(type).FullName} ({layer}) uses {used.FullName} ({usedLayer})");
                }
            }
        }

        Assert.Empty(violations);
    }

    [Fact]
    public void Every_layer_of_the_server_has_a_rule()
    {
        var ruled = Rules().Select(row => (string)row.Data.Item1).ToHashSet(StringComparer.Ordinal);
        var layers = ServerTypes().Select(LayerOf).OfType<string>().Where(l => l != Composition).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(layers.Except(ruled));
    }

    /// <summary>The layer is the namespace, so a file must declare the namespace of its folder.</summary>
    [Fact]
    public void Each_source_file_declares_the_namespace_of_its_folder()
    {
        var source = Path.Combine(RepositoryRoot(), "src", "AgentKanban.Server");
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal))
            {
                continue;
            }

            var folder = Path.GetDirectoryName(relative);
            var expected = string.IsNullOrEmpty(folder) ? Root : Root + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = File.ReadLines(file).FirstOrDefault(l => l.StartsWith("namespace ", StringComparison.Ordinal));
            if (declared is not null && declared != $"namespace {expected};")
            {
                wrong.Add($"{relative}: {declared}");
            }
        }

        Assert.Empty(wrong);
    }

    private static Type[] ServerTypes() => typeof(ServerHost).Assembly.GetTypes();

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    /// <summary>The layer a server type belongs to; null for anything outside the server (framework, Core, Contracts, generated code).</summary>
    private static string? LayerOf(Type type)
    {
        if (type.Assembly != typeof(ServerHost).Assembly)
        {
            return null;
        }

        var outer = Outermost(type);
        var ns = outer.Namespace;
        if (ns == Root)
        {
            return OptionsTypes.Contains(outer.Name) ? Options : Composition;
        }

        if (ns is null || !ns.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = ns[(Root.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }

    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static HashSet<Type> ReferencedTypes(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || t.IsGenericParameter || !found.Add(t))
            {
                return;
            }

            if (t.HasElementType)
            {
                Add(t.GetElementType());
            }

            if (t.IsConstructedGenericType)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var argument in t.GetGenericArguments())
                {
                    Add(argument);
                }
            }
        }

        Add(type.BaseType);
        foreach (var implemented in type.GetInterfaces())
        {
            Add(implemented);
        }

        foreach (var field in type.GetFields(Declared))
        {
            Add(field.FieldType);
        }

        foreach (var property in type.GetProperties(Declared))
        {
            Add(property.PropertyType);
        }

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }

            foreach (var member in BodyReferences(type, method))
            {
                switch (member)
                {
                    case Type t:
                        Add(t);
                        break;
                    case FieldInfo f:
                        Add(f.DeclaringType);
                        Add(f.FieldType);
                        break;
                    case MethodBase m:
                        Add(m.DeclaringType);
                        if (m is MethodInfo mi)
                        {
                            Add(mi.ReturnType);
                        }

                        foreach (var parameter in m.GetParameters())
                        {
                            Add(parameter.ParameterType);
                        }

                        break;
                }
            }
        }

        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The locals and every type, field or method token of the method's IL.</summary>
    private static IEnumerable<MemberInfo> BodyReferences(Type type, MethodBase method)
    {
        var body = method.GetMethodBody();
        if (body?.GetILAsByteArray() is not { } il)
        {
            yield break;
        }

        foreach (var local in body.LocalVariables)
        {
            yield return local.LocalType;
        }

        var typeArguments = type.IsGenericType ? type.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    yield return method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArguments, methodArguments)!;
                    i += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AgentKanban.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (AgentKanban.slnx) is not above " + AppContext.BaseDirectory);
    }
}
