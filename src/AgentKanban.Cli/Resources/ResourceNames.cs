namespace AgentKanban.Cli.Resources;

/// <summary>Other spellings each kind answers to on the command line (plural and short forms), kubectl style.</summary>
public static class ResourceNames
{
    public static readonly string[] Board = ["boards", "bd"];
    public static readonly string[] Task = ["tasks", "tk"];
    public static readonly string[] Agent = ["agents", "ag"];
    public static readonly string[] Repo = ["repos", "repository", "repositories", "rp"];
    public static readonly string[] Label = ["labels", "lb"];
    public static readonly string[] Machine = ["machines", "mc"];
    public static readonly string[] Session = ["sessions", "ss"];
    public static readonly string[] User = ["users", "us"];
}
