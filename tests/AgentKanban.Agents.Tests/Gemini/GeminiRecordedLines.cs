namespace AgentKanban.Agents.Tests.Gemini;

/// <summary>
/// Standard output of the real Gemini CLI 0.61.0 (<c>--output-format stream-json</c>, model gemini-2.5-flash) against a
/// loopback fake of its API, recorded line for line. One constant per run.
/// </summary>
internal static class GeminiRecordedLines
{
    /// <summary>A six-step tool run: streamed text, shell calls, a refused read_file (status error), the closing text and the result.</summary>
    public const string Realistic = """
{"type":"init","timestamp":"2026-12-07T15:51:29.944Z","session_id":"6d0c9a55-3f0e-4b8e-9a41-2c7e5d1f8b20","model":"gemini-2.5-flash"}
{"type":"message","timestamp":"2026-12-07T15:51:29.946Z","role":"user","content":"Write hello.txt and commit it."}
{"type":"message","timestamp":"2026-12-07T15:51:29.979Z","role":"assistant","content":"I'll start by ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:29.985Z","role":"assistant","content":"claiming the task ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:29.986Z","role":"assistant","content":"so nobody else picks it up.","delta":true}
{"type":"tool_use","timestamp":"2026-12-07T15:51:30.054Z","tool_name":"run_shell_command","tool_id":"run_shell_command__run_shell_command_1796658689987_0","parameters":{"command":"echo claimed task t-42","description":"Claim the task"}}
{"type":"tool_result","timestamp":"2026-12-07T15:51:30.186Z","tool_id":"run_shell_command__run_shell_command_1796658689987_0","status":"success","output":"claimed task t-42"}
{"type":"message","timestamp":"2026-12-07T15:51:30.219Z","role":"assistant","content":"Claimed. Now let me look at ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:30.219Z","role":"assistant","content":"the repository layout.","delta":true}
{"type":"tool_use","timestamp":"2026-12-07T15:51:30.226Z","tool_name":"run_shell_command","tool_id":"run_shell_command__run_shell_command_1796658690220_0","parameters":{"command":"ls -la"}}
{"type":"tool_result","timestamp":"2026-12-07T15:51:30.264Z","tool_id":"run_shell_command__run_shell_command_1796658690220_0","status":"success","output":"total 8\ndrwxr-xr-x  2 root root 4096 Dec  7 15:51 .\ndrwxr-xr-x 23 root root 4096 Dec  7 15:51 .."}
{"type":"message","timestamp":"2026-12-07T15:51:30.278Z","role":"assistant","content":"Let me read the README ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:30.284Z","role":"assistant","content":"to see the conventions.","delta":true}
{"type":"tool_use","timestamp":"2026-12-07T15:51:30.288Z","tool_name":"read_file","tool_id":"read_file__read_file_1796658690285_0","parameters":{"file_path":"/nonexistent/README.md"}}
{"type":"tool_result","timestamp":"2026-12-07T15:51:30.306Z","tool_id":"read_file__read_file_1796658690285_0","status":"error","output":"Path not in workspace: Attempted path \"/nonexistent/README.md\" resolves outside the allowed workspace directories: /tmp/gx/w3 or the project temp directory: /tmp/gx/h3/.gemini/tmp/w3","error":{"type":"invalid_tool_params","message":"Path not in workspace: Attempted path \"/nonexistent/README.md\" resolves outside the allowed workspace directories: /tmp/gx/w3 or the project temp directory: /tmp/gx/h3/.gemini/tmp/w3"}}
{"type":"message","timestamp":"2026-12-07T15:51:30.317Z","role":"assistant","content":"The README is missing; ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:30.318Z","role":"assistant","content":"I'll write the file the task asks for.","delta":true}
{"type":"tool_use","timestamp":"2026-12-07T15:51:30.320Z","tool_name":"run_shell_command","tool_id":"run_shell_command__run_shell_command_1796658690318_0","parameters":{"command":"printf 'hello\\n' > hello.txt && cat hello.txt"}}
{"type":"tool_result","timestamp":"2026-12-07T15:51:30.350Z","tool_id":"run_shell_command__run_shell_command_1796658690318_0","status":"success","output":"hello"}
{"type":"message","timestamp":"2026-12-07T15:51:30.383Z","role":"assistant","content":"Now I'll commit ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:30.384Z","role":"assistant","content":"the change with a clear message.","delta":true}
{"type":"tool_use","timestamp":"2026-12-07T15:51:30.396Z","tool_name":"run_shell_command","tool_id":"run_shell_command__run_shell_command_1796658690394_0","parameters":{"command":"git init -q . 2>/dev/null; git add hello.txt && git -c user.name=a -c user.email=a@b commit -qm 'Add hello.txt' && git log --oneline | head -1"}}
{"type":"tool_result","timestamp":"2026-12-07T15:51:30.496Z","tool_id":"run_shell_command__run_shell_command_1796658690394_0","status":"success","output":"d7f2673 Add hello.txt"}
{"type":"message","timestamp":"2026-12-07T15:51:30.514Z","role":"assistant","content":"Committed. ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:30.514Z","role":"assistant","content":"Requesting review.","delta":true}
{"type":"tool_use","timestamp":"2026-12-07T15:51:30.518Z","tool_name":"run_shell_command","tool_id":"run_shell_command__run_shell_command_1796658690514_0","parameters":{"command":"echo review requested"}}
{"type":"tool_result","timestamp":"2026-12-07T15:51:30.553Z","tool_id":"run_shell_command__run_shell_command_1796658690514_0","status":"success","output":"review requested"}
{"type":"message","timestamp":"2026-12-07T15:51:30.570Z","role":"assistant","content":"Done: ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:30.570Z","role":"assistant","content":"hello.txt is committed ","delta":true}
{"type":"message","timestamp":"2026-12-07T15:51:30.570Z","role":"assistant","content":"and the task is in review.","delta":true}
{"type":"result","timestamp":"2026-12-07T15:51:30.571Z","status":"success","stats":{"total_tokens":14640,"input_tokens":14400,"output_tokens":240,"cached":9728,"input":4672,"duration_ms":627,"tool_calls":6,"models":{"gemini-2.5-flash":{"total_tokens":14640,"input_tokens":14400,"output_tokens":240,"cached":9728,"input":4672}}}}
""";

    /// <summary>429 RESOURCE_EXHAUSTED with a QuotaFailure whose quota id ends in PerDay (exit 173).</summary>
    public const string DailyQuota = """
{"type":"init","timestamp":"2026-12-07T15:51:37.626Z","session_id":"0f3b6c2e-8a1d-4e5f-9b7c-1d2e3f4a5b61","model":"gemini-2.5-flash"}
{"type":"message","timestamp":"2026-12-07T15:51:37.627Z","role":"user","content":"Start the task."}
{"type":"result","timestamp":"2026-12-07T15:51:37.718Z","status":"error","error":{"type":"unknown","message":"[API Error: You have exhausted your daily quota on this model.]\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method"},"stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0,"duration_ms":0,"tool_calls":0,"models":{"gemini-2.5-flash":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0}}}}
""";

    /// <summary>429 with a PerMinute QuotaFailure, "Please retry in 37.5s." and RetryInfo 37s, under maxAttempts 1 (exit 173).</summary>
    public const string RetryDelay = """
{"type":"init","timestamp":"2026-12-07T15:51:39.937Z","session_id":"0f3b6c2e-8a1d-4e5f-9b7c-1d2e3f4a5b62","model":"gemini-2.5-flash"}
{"type":"message","timestamp":"2026-12-07T15:51:39.938Z","role":"user","content":"Start the task."}
{"type":"result","timestamp":"2026-12-07T15:51:40.015Z","status":"error","error":{"type":"unknown","message":"[API Error: You exceeded your current quota, please check your plan and billing details. * Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10\nPlease retry in 37.5s.\nSuggested retry after 37s.]\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method"},"stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0,"duration_ms":0,"tool_calls":0,"models":{"gemini-2.5-flash":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0}}}}
""";

    /// <summary>429 RESOURCE_EXHAUSTED with no details and no time (exit 173).</summary>
    public const string PlainQuota = """
{"type":"init","timestamp":"2026-12-07T15:51:42.147Z","session_id":"0f3b6c2e-8a1d-4e5f-9b7c-1d2e3f4a5b63","model":"gemini-2.5-flash"}
{"type":"message","timestamp":"2026-12-07T15:51:42.148Z","role":"user","content":"Start the task."}
{"type":"result","timestamp":"2026-12-07T15:51:42.231Z","status":"error","error":{"type":"unknown","message":"[API Error: Resource has been exhausted (e.g. check quota).]\nPlease wait and try again later. To increase your limits, request a quota increase through AI Studio, or switch to another /auth method"},"stats":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0,"duration_ms":0,"tool_calls":0,"models":{"gemini-2.5-flash":{"total_tokens":0,"input_tokens":0,"output_tokens":0,"cached":0,"input":0}}}}
""";

    /// <summary>Standard error of <c>--resume</c> with an id the CLI has no session for (exit 42, nothing on standard output).</summary>
    public const string ResumeUnknownStandardError = """
Error resuming session: Invalid session identifier "99999999-2222-3333-4444-555555555556".
  Searched for sessions in /tmp/gx/h2/.gemini/tmp/w2/chats.
  Use --list-sessions to see available sessions, then use --resume {number}, --resume {uuid}, or --resume latest.
""";

    /// <summary>Standard error of <c>--resume</c> in a project directory with no sessions at all (exit 42).</summary>
    public const string ResumeNoSessionsStandardError = """
Error resuming session: No previous sessions found for this project.
""";
}
