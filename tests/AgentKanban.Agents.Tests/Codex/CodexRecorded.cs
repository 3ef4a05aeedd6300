namespace AgentKanban.Agents.Tests.Codex;

/// <summary>
/// Lines the real Codex CLI (0.169.0) wrote, recorded against the tests' fake Responses API: its stdout (<c>exec --json</c>)
/// and the event lines of its session file (<c>$CODEX_HOME/sessions/…/rollout-…-THREAD.jsonl</c>). Kept verbatim.
/// </summary>
internal static class CodexRecorded
{
    /// <summary>A new thread with a model missing from the bundled catalog: reasoning, text, four commands (one failing), a closing text.</summary>
    public const string HappyStdout = """
        {"type":"thread.started","thread_id":"01a25137-0e50-7971-acf9-6eec39a86128"}
        {"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `gpt-unknown-model` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."}}
        {"type":"turn.started"}
        {"type":"item.completed","item":{"id":"item_1","type":"reasoning","text":"The task asks for hello.txt; claim it first."}}
        {"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"I will claim the task first."}}
        {"type":"item.started","item":{"id":"item_3","type":"command_execution","command":"/bin/bash -c 'ak task claim'","aggregated_output":"","exit_code":null,"status":"in_progress"}}
        {"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"/bin/bash -c 'ak task claim'","aggregated_output":"fake-ak task claim\n","exit_code":0,"status":"completed"}}
        {"type":"item.started","item":{"id":"item_4","type":"command_execution","command":"/bin/bash -c \"printf 'hello\\\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt' && echo committed\"","aggregated_output":"","exit_code":null,"status":"in_progress"}}
        {"type":"item.completed","item":{"id":"item_4","type":"command_execution","command":"/bin/bash -c \"printf 'hello\\\\n' > hello.txt && git add hello.txt && git commit -q -m 'Add hello.txt' && echo committed\"","aggregated_output":"committed\n","exit_code":0,"status":"completed"}}
        {"type":"item.completed","item":{"id":"item_5","type":"reasoning","text":"Check the file is there."}}
        {"type":"item.started","item":{"id":"item_6","type":"command_execution","command":"/bin/bash -c 'cat missing.txt'","aggregated_output":"","exit_code":null,"status":"in_progress"}}
        {"type":"item.completed","item":{"id":"item_6","type":"command_execution","command":"/bin/bash -c 'cat missing.txt'","aggregated_output":"cat: missing.txt: No such file or directory\n","exit_code":1,"status":"failed"}}
        {"type":"item.completed","item":{"id":"item_7","type":"agent_message","text":"Requesting review."}}
        {"type":"item.started","item":{"id":"item_8","type":"command_execution","command":"/bin/bash -c 'ak task review'","aggregated_output":"","exit_code":null,"status":"in_progress"}}
        {"type":"item.completed","item":{"id":"item_8","type":"command_execution","command":"/bin/bash -c 'ak task review'","aggregated_output":"fake-ak task review\n","exit_code":0,"status":"completed"}}
        {"type":"item.completed","item":{"id":"item_9","type":"agent_message","text":"Done: hello.txt is on the branch and the task is in review."}}
        {"type":"turn.completed","usage":{"input_tokens":500,"cached_input_tokens":150,"cache_write_input_tokens":0,"output_tokens":100,"reasoning_output_tokens":25}}
        """;

    /// <summary>That run's token counts and its task end, from its session file (usage windows unknown: the fake sent no headers).</summary>
    public const string HappySessionEvents = """
        {"timestamp":"2026-12-07T15:54:52.571Z","ordinal":17,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_usage_includes_reasoning":false,"model_context_window":258400},"rate_limits":{"limit_id":"codex","limit_name":null,"primary":null,"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:54:52.634Z","ordinal":22,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":200,"cached_input_tokens":60,"cache_write_input_tokens":0,"output_tokens":40,"reasoning_output_tokens":10,"total_tokens":240},"last_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_usage_includes_reasoning":false,"model_context_window":258400},"rate_limits":{"limit_id":"codex","limit_name":null,"primary":null,"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:54:52.691Z","ordinal":29,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":300,"cached_input_tokens":90,"cache_write_input_tokens":0,"output_tokens":60,"reasoning_output_tokens":15,"total_tokens":360},"last_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_usage_includes_reasoning":false,"model_context_window":258400},"rate_limits":{"limit_id":"codex","limit_name":null,"primary":null,"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:54:52.740Z","ordinal":36,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":400,"cached_input_tokens":120,"cache_write_input_tokens":0,"output_tokens":80,"reasoning_output_tokens":20,"total_tokens":480},"last_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_usage_includes_reasoning":false,"model_context_window":258400},"rate_limits":{"limit_id":"codex","limit_name":null,"primary":null,"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:54:52.757Z","ordinal":40,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":500,"cached_input_tokens":150,"cache_write_input_tokens":0,"output_tokens":100,"reasoning_output_tokens":25,"total_tokens":600},"last_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_usage_includes_reasoning":false,"model_context_window":258400},"rate_limits":{"limit_id":"codex","limit_name":null,"primary":null,"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:54:52.762Z","ordinal":41,"type":"event_msg","payload":{"type":"task_complete","root_turn_id":"01a25137-0e72-7a61-ae0b-cd2da9da6d47","turn_id":"01a25137-0e72-7a61-ae0b-cd2da9da6d47","last_agent_message":"Done: hello.txt is on the branch and the task is in review.","started_at":1796658892,"completed_at":1796658892,"duration_ms":356,"time_to_first_token_ms":100}}
        """;

    /// <summary>The same thread resumed into the usage limit (429 usage_limit_reached with both windows used up).</summary>
    public const string UsageLimitStdout = """
        {"type":"thread.started","thread_id":"01a25137-0e50-7971-acf9-6eec39a86128"}
        {"type":"item.completed","item":{"id":"item_0","type":"error","message":"This session was recorded with model `gpt-unknown-model` but is resuming with `gpt-5.5`. Consider switching back to `gpt-unknown-model` as it may affect Codex performance."}}
        {"type":"turn.started"}
        {"type":"error","message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Mar 17th, 2030 5:55 PM."}
        {"type":"turn.failed","error":{"message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Mar 17th, 2030 5:55 PM."}}
        """;

    /// <summary>What that run appended to the session file: the windows at 100 % with their resets, and the task's error.</summary>
    public const string UsageLimitSessionEvents = """
        {"timestamp":"2026-12-07T15:55:03.970Z","ordinal":51,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":500,"cached_input_tokens":150,"cache_write_input_tokens":0,"output_tokens":100,"reasoning_output_tokens":25,"total_tokens":600},"last_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_usage_includes_reasoning":false,"model_context_window":258400},"rate_limits":{"limit_id":"codex","limit_name":null,"primary":{"used_percent":100.0,"window_minutes":300,"resets_at":1900000500},"secondary":{"used_percent":100.0,"window_minutes":10080,"resets_at":1900600000},"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:55:03.974Z","ordinal":52,"type":"event_msg","payload":{"type":"task_complete","root_turn_id":"01a25137-3b61-7441-81af-e31095c9ac1b","turn_id":"01a25137-3b61-7441-81af-e31095c9ac1b","last_agent_message":null,"error":{"message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Mar 17th, 2030 5:55 PM.","codex_error_info":"usage_limit_exceeded"},"started_at":1796658903,"completed_at":1796658903,"duration_ms":60}}
        """;

    /// <summary>The thread resumed again after the reset: the running total includes every earlier run.</summary>
    public const string ResumedStdout = """
        {"type":"thread.started","thread_id":"01a25137-0e50-7971-acf9-6eec39a86128"}
        {"type":"turn.started"}
        {"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"Continuing after the reset."}}
        {"type":"turn.completed","usage":{"input_tokens":600,"cached_input_tokens":180,"cache_write_input_tokens":0,"output_tokens":120,"reasoning_output_tokens":30}}
        """;

    /// <summary>What that run appended: the windows as the successful call reported them.</summary>
    public const string ResumedSessionEvents = """
        {"timestamp":"2026-12-07T15:55:04.198Z","ordinal":61,"type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":600,"cached_input_tokens":180,"cache_write_input_tokens":0,"output_tokens":120,"reasoning_output_tokens":30,"total_tokens":720},"last_token_usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5,"total_tokens":120},"last_usage_includes_reasoning":false,"model_context_window":258400},"rate_limits":{"limit_id":"codex","limit_name":null,"primary":{"used_percent":3.0,"window_minutes":300,"resets_at":1900018000},"secondary":{"used_percent":41.5,"window_minutes":10080,"resets_at":1900600000},"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:55:04.212Z","ordinal":62,"type":"event_msg","payload":{"type":"task_complete","root_turn_id":"01a25137-3c51-7302-899d-ce7f7ebc09ff","turn_id":"01a25137-3c51-7302-899d-ce7f7ebc09ff","last_agent_message":"Continuing after the reset.","started_at":1796658904,"completed_at":1796658904,"duration_ms":62,"time_to_first_token_ms":44}}
        """;

    /// <summary>A new thread refused by the usage limit whose response named no windows (only the body had resets_at).</summary>
    public const string UsageLimitWithoutWindowsStdout = """
        {"type":"thread.started","thread_id":"01a25137-3d24-7581-86fa-498199d97c1d"}
        {"type":"turn.started"}
        {"type":"error","message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Mar 17th, 2030 5:55 PM."}
        {"type":"turn.failed","error":{"message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Mar 17th, 2030 5:55 PM."}}
        """;

    /// <summary>Its session file: no windows, the task ended on usage_limit_exceeded.</summary>
    public const string UsageLimitWithoutWindowsSessionEvents = """
        {"timestamp":"2026-12-07T15:55:04.441Z","ordinal":9,"type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":{"limit_id":"codex","limit_name":null,"primary":null,"secondary":null,"credits":null,"individual_limit":null,"spend_control_reached":null,"plan_type":null,"rate_limit_reached_type":null}}}
        {"timestamp":"2026-12-07T15:55:04.453Z","ordinal":10,"type":"event_msg","payload":{"type":"task_complete","root_turn_id":"01a25137-3d3d-79e0-838b-bc690f1debb4","turn_id":"01a25137-3d3d-79e0-838b-bc690f1debb4","last_agent_message":null,"error":{"message":"You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at Mar 17th, 2030 5:55 PM.","codex_error_info":"usage_limit_exceeded"},"started_at":1796658904,"completed_at":1796658904,"duration_ms":69}}
        """;

    /// <summary>A plain 429 (not the usage limit): Codex retried it and gave up.</summary>
    public const string TooManyRequestsStdout = """
        {"type":"thread.started","thread_id":"01a25131-90be-7d23-a866-3d8a362606ee"}
        {"type":"turn.started"}
        {"type":"error","message":"exceeded retry limit, last status: 429 Too Many Requests"}
        {"type":"turn.failed","error":{"message":"exceeded retry limit, last status: 429 Too Many Requests"}}
        """;

    /// <summary>Server errors (500) retried inside the CLI until a call succeeded: the notices are not failures.</summary>
    public const string ReconnectingStdout = """
        {"type":"thread.started","thread_id":"01a25132-226b-7f01-9b90-40028368d67c"}
        {"type":"turn.started"}
        {"type":"error","message":"Reconnecting... 1/5 (We’re currently experiencing high demand, which may cause temporary errors.)"}
        {"type":"error","message":"Reconnecting... 2/5 (We’re currently experiencing high demand, which may cause temporary errors.)"}
        {"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"Done."}}
        {"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":30,"cache_write_input_tokens":0,"output_tokens":20,"reasoning_output_tokens":5}}
        """;

    /// <summary>stderr of <c>codex exec resume</c> for a thread id it has no file for (stdout stays empty; exit 1).</summary>
    public const string UnknownThreadStderr =
        "Reading additional input from stdin...\nError: thread/resume: thread/resume failed: no rollout found for thread id 0199aaaa-bbbb-7ccc-8ddd-eeeeffff0000 (code -32600)\n";
}
