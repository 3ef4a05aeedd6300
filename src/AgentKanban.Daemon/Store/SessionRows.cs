using AgentKanban.Core.Sessions;
using Microsoft.Data.Sqlite;

namespace AgentKanban.Daemon.Store;

/// <summary>The one place that maps <see cref="SessionRecord"/> to and from the <c>sessions</c> table.</summary>
internal static class SessionRows
{
    public const string Columns =
        "id, task_id, agent_id, runtime, state, version, epoch, server_session_id, private_key, public_key, provider_session_id, resume_token, " +
        "launches, model, permission_mode, repository_url, workspace, branch, resume_after_ms, decided_at_ms, next_prompt, " +
        "attempts, last_reason, pid, server_session_open, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, " +
        "cost_micro_usd, run_cost_micro_usd, created_at_ms, updated_at_ms, closed_at_ms, system_prompt, task_prompt, agent_command";

    public const string InsertSql =
        "INSERT INTO sessions (" + Columns + ") VALUES ($id, $task_id, $agent_id, $runtime, $state, $version, $epoch, $server_session_id, $private_key, " +
        "$public_key, $provider_session_id, $resume_token, $launches, $model, $permission_mode, $repository_url, $workspace, $branch, " +
        "$resume_after_ms, $decided_at_ms, $next_prompt, $attempts, $last_reason, $pid, $server_session_open, $input_tokens, " +
        "$output_tokens, $cache_read_tokens, $cache_creation_tokens, $cost_micro_usd, $run_cost_micro_usd, $created_at_ms, " +
        "$updated_at_ms, $closed_at_ms, $system_prompt, $task_prompt, $agent_command)";

    /// <summary>Writes every mutable column, guarded by the expected state and version (compare-and-set).</summary>
    public const string UpdateSql = """
        UPDATE sessions SET state = $state, version = $version, epoch = $epoch, server_session_id = $server_session_id, private_key = $private_key, public_key = $public_key,
            provider_session_id = $provider_session_id, resume_token = $resume_token, launches = $launches, model = $model,
            permission_mode = $permission_mode, repository_url = $repository_url, workspace = $workspace, branch = $branch,
            resume_after_ms = $resume_after_ms, decided_at_ms = $decided_at_ms, next_prompt = $next_prompt, attempts = $attempts,
            last_reason = $last_reason, pid = $pid, server_session_open = $server_session_open, input_tokens = $input_tokens,
            output_tokens = $output_tokens, cache_read_tokens = $cache_read_tokens, cache_creation_tokens = $cache_creation_tokens,
            cost_micro_usd = $cost_micro_usd, run_cost_micro_usd = $run_cost_micro_usd, updated_at_ms = $updated_at_ms,
            closed_at_ms = $closed_at_ms, system_prompt = $system_prompt, task_prompt = $task_prompt, agent_command = $agent_command
        WHERE id = $id AND state = $expected_state AND version = $expected_version
        """;

    public static void Bind(SqliteCommand command, SessionRecord s)
    {
        var p = command.Parameters;
        p.AddWithValue("$id", s.Id);
        p.AddWithValue("$task_id", s.TaskId);
        p.AddWithValue("$agent_id", s.AgentId);
        p.AddWithValue("$runtime", s.Runtime);
        p.AddWithValue("$state", s.State.ToStoredValue());
        p.AddWithValue("$version", s.Version);
        p.AddWithValue("$epoch", s.Epoch);
        p.AddWithValue("$server_session_id", s.ServerSessionId);
        p.AddWithValue("$private_key", s.PrivateKey);
        p.AddWithValue("$public_key", s.PublicKey);
        p.AddWithValue("$provider_session_id", s.ProviderSessionId);
        p.AddWithValue("$resume_token", Db(s.ResumeToken));
        p.AddWithValue("$launches", s.Launches);
        p.AddWithValue("$model", Db(s.Model));
        p.AddWithValue("$permission_mode", Db(s.PermissionMode));
        p.AddWithValue("$repository_url", Db(s.RepositoryUrl));
        p.AddWithValue("$workspace", Db(s.Workspace));
        p.AddWithValue("$branch", Db(s.Branch));
        p.AddWithValue("$resume_after_ms", Ms(s.ResumeAfter));
        p.AddWithValue("$decided_at_ms", Ms(s.DecidedAt));
        p.AddWithValue("$next_prompt", Db(s.NextPrompt));
        p.AddWithValue("$attempts", s.Attempts);
        p.AddWithValue("$last_reason", Db(s.LastReason));
        p.AddWithValue("$pid", s.Pid is { } pid ? pid : DBNull.Value);
        p.AddWithValue("$server_session_open", s.ServerSessionOpen ? 1 : 0);
        p.AddWithValue("$input_tokens", s.InputTokens);
        p.AddWithValue("$output_tokens", s.OutputTokens);
        p.AddWithValue("$cache_read_tokens", s.CacheReadTokens);
        p.AddWithValue("$cache_creation_tokens", s.CacheCreationTokens);
        p.AddWithValue("$cost_micro_usd", s.CostMicroUsd);
        p.AddWithValue("$run_cost_micro_usd", s.RunCostMicroUsd);
        p.AddWithValue("$created_at_ms", s.CreatedAt.ToUnixTimeMilliseconds());
        p.AddWithValue("$updated_at_ms", s.UpdatedAt.ToUnixTimeMilliseconds());
        p.AddWithValue("$closed_at_ms", Ms(s.ClosedAt));
        p.AddWithValue("$system_prompt", Db(s.SystemPrompt));
        p.AddWithValue("$task_prompt", Db(s.TaskPrompt));
        p.AddWithValue("$agent_command", Db(s.AgentCommand));
    }

    public static SessionRecord Read(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        TaskId = r.GetString(1),
        AgentId = r.GetString(2),
        Runtime = r.GetString(3),
        State = StoredSessionStates.FromStored(r.GetInt32(4)),
        Version = r.GetInt64(5),
        Epoch = r.GetInt64(6),
        ServerSessionId = r.GetString(7),
        PrivateKey = r.GetString(8),
        PublicKey = r.GetString(9),
        ProviderSessionId = r.GetString(10),
        ResumeToken = Str(r, 11),
        Launches = r.GetInt32(12),
        Model = Str(r, 13),
        PermissionMode = Str(r, 14),
        RepositoryUrl = Str(r, 15),
        Workspace = Str(r, 16),
        Branch = Str(r, 17),
        ResumeAfter = At(r, 18),
        DecidedAt = At(r, 19),
        NextPrompt = Str(r, 20),
        Attempts = r.GetInt32(21),
        LastReason = Str(r, 22),
        Pid = r.IsDBNull(23) ? null : r.GetInt32(23),
        ServerSessionOpen = r.GetInt64(24) != 0,
        InputTokens = r.GetInt64(25),
        OutputTokens = r.GetInt64(26),
        CacheReadTokens = r.GetInt64(27),
        CacheCreationTokens = r.GetInt64(28),
        CostMicroUsd = r.GetInt64(29),
        RunCostMicroUsd = r.GetInt64(30),
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(31)),
        UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(32)),
        ClosedAt = At(r, 33),
        SystemPrompt = Str(r, 34),
        TaskPrompt = Str(r, 35),
        AgentCommand = Str(r, 36),
    };

    private static object Db(string? value) => (object?)value ?? DBNull.Value;

    private static object Ms(DateTimeOffset? at) => at is { } value ? value.ToUnixTimeMilliseconds() : DBNull.Value;

    private static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? At(SqliteDataReader r, int i) =>
        r.IsDBNull(i) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i));
}
