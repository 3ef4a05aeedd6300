using AgentKanban.Cli.Output;
using AgentKanban.Contracts;
using AgentKanban.Core.Tasks;

namespace AgentKanban.Cli.Resources;

/// <summary>The printed shape of every resource kind. <paramref name="now"/> feeds the AGE columns; names make ids readable.</summary>
public sealed class Views(DateTimeOffset now, IReadOnlyDictionary<string, string>? agentNames = null)
{
    private static ContractsJsonContext Json => ContractsJsonContext.Default;

    public ResourceView<BoardDto> Board => new(
        "board", "Board", Json.BoardDto, b => b.Id,
        [
            new("ID", b => b.Id),
            new("NAME", b => b.Name),
            new("TYPE", b => b.Type),
            new("LABELS", b => string.Join(",", b.Labels.Select(l => l.Name)), 40),
            new("AGE", b => Age.Since(b.CreatedAt, now)),
        ],
        [new("DESCRIPTION", b => b.Description)]);

    public ResourceView<TaskDto> Task => new(
        "task", "Task", Json.TaskDto, t => t.Id,
        [
            new("ID", t => t.Id),
            new("STATUS", t => t.Blocked && t.Status == TaskStatusNames.Todo ? "todo (blocked)" : t.Status),
            new("TITLE", t => t.Title, 50),
            new("ASSIGNEE", t => AgentName(t.AssignedTo)),
            new("LABELS", t => string.Join(",", t.Labels), 30),
            new("AGE", t => Age.Since(t.CreatedAt, now)),
        ],
        [
            new("BOARD", t => t.BoardId),
            new("REPO", t => t.RepositoryId),
            new("DEPENDS_ON", t => string.Join(",", t.DependsOn)),
            new("SCHEDULED_AT", t => Age.Stamp(t.ScheduledAt)),
            new("PR", t => t.PrUrl),
            new("UPDATED", t => Age.Since(t.UpdatedAt, now)),
        ]);

    public ResourceView<AgentDto> Agent => new(
        "agent", "Agent", Json.AgentDto, a => a.Id,
        [
            new("ID", a => a.Id),
            new("USERNAME", a => a.Username),
            new("KIND", a => a.Kind),
            new("RUNTIME", a => a.Runtime),
            new("MODEL", a => a.Model),
            new("AGE", a => Age.Since(a.CreatedAt, now)),
        ],
        [
            new("NAME", a => a.Name),
            new("ROLE", a => a.Role),
            new("PERMISSION_MODE", a => a.PermissionMode),
        ]);

    public ResourceView<RepositoryDto> Repo => new(
        "repo", "Repo", Json.RepositoryDto, r => r.Id,
        [
            new("ID", r => r.Id),
            new("NAME", r => r.Name),
            new("URL", r => r.Url, 60),
            new("AGE", r => Age.Since(r.CreatedAt, now)),
        ],
        []);

    public static ResourceView<LabelDto> Label => new(
        "label", "Label", Json.LabelDto, l => l.Name,
        [
            new("NAME", l => l.Name),
            new("COLOR", l => l.Color),
            new("DESCRIPTION", l => l.Description, 60),
        ],
        []);

    public ResourceView<MachineDto> Machine => new(
        "machine", "Machine", Json.MachineDto, m => m.Id,
        [
            new("ID", m => m.Id),
            new("NAME", m => m.Name),
            new("STATUS", m => m.Status),
            new("RUNTIMES", m => string.Join(",", m.Runtimes.Select(r => $"{r.Name}:{r.Status}")), 50),
            new("LAST_HEARTBEAT", m => Age.Since(m.LastHeartbeatAt, now)),
        ],
        [
            new("OS", m => m.Os),
            new("VERSION", m => m.Version),
            new("DEVICE_ID", m => m.DeviceId),
        ]);

    public ResourceView<SessionDto> Session => new(
        "session", "Session", Json.SessionDto, s => s.Id,
        [
            new("ID", s => s.Id),
            new("STATUS", s => s.Status),
            new("AGENT", s => AgentName(s.AgentId)),
            new("TASK", s => s.TaskId),
            new("TOKENS_IN", s => s.InputTokens.ToString()),
            new("TOKENS_OUT", s => s.OutputTokens.ToString()),
            new("COST_USD", s => FormatCost(s.CostMicroUsd)),
            new("AGE", s => Age.Since(s.CreatedAt, now)),
        ],
        [
            new("MACHINE", s => s.MachineId),
            new("EPOCH", s => s.Epoch.ToString()),
            new("CACHE_READ", s => s.CacheReadTokens.ToString()),
            new("CACHE_CREATION", s => s.CacheCreationTokens.ToString()),
            new("CLOSED", s => Age.Stamp(s.ClosedAt)),
        ]);

    public static ResourceView<RuntimeModelDto> Model => new(
        "model", "Model", Json.RuntimeModelDto, m => m.Id,
        [
            new("MODEL", m => m.Id),
            new("NAME", m => m.Name),
        ],
        [
            new("RUNTIME", m => m.Runtime),
            new("DESCRIPTION", m => m.Description, 80),
        ]);

    public ResourceView<UserDto> User => new(
        "user", "User", Json.UserDto, u => u.Id,
        [
            new("ID", u => u.Id),
            new("NAME", u => u.Name),
            new("ADMIN", u => u.IsAdmin ? "yes" : "no"),
            new("AGE", u => Age.Since(u.CreatedAt, now)),
        ],
        []);

    public static string FormatCost(long microUsd) => (microUsd / 1_000_000m).ToString("0.00####");

    private string? AgentName(string? id) =>
        id is not null && agentNames is not null && agentNames.TryGetValue(id, out var name) ? name : id;
}
