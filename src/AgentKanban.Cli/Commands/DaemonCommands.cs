using System.CommandLine;
using AgentKanban.Cli.Parsing;

namespace AgentKanban.Cli.Commands;

/// <summary>
/// <c>ak daemon run|start|stop|status|logs</c> — the machine daemon that picks up assigned tasks and runs their agents,
/// in the foreground or in the background. The records (<see cref="RunDaemon"/> and its siblings) call into
/// <c>Hosting/</c>, so the daemon's assemblies load only when one of these commands runs.
/// </summary>
public static class DaemonCommands
{
    public const int DefaultStartWaitSeconds = 30;

    /// <summary>The daemon gives running agents 60 s to finish their step, then 10 s to stop, then flushes its reports.</summary>
    public const int DefaultStopTimeoutSeconds = 90;

    private const string StateDescription = "State directory (default ${XDG_STATE_HOME:-~/.local/state}/agent-kanban)";

    public static Command Build(CliParser parser)
    {
        ArgumentNullException.ThrowIfNull(parser);
        var daemon = new Command("daemon", """
            The machine daemon: picks up tasks assigned to this machine's agents and runs them.
            One daemon per state directory (it holds a lock on DIR/daemon.lock while it runs).

            Examples:
              ak daemon start            (in the background; its log is DIR/logs/daemon.log)
              ak daemon status
              ak daemon logs -f
              ak daemon stop
            """);
        daemon.Add(BuildRun(parser));
        daemon.Add(BuildStart(parser));
        daemon.Add(BuildStop(parser));
        daemon.Add(BuildStatus(parser));
        daemon.Add(BuildLogs(parser));
        return daemon;
    }

    private static Command BuildRun(CliParser parser)
    {
        var run = new Command(
            "run",
            "Run the daemon in the foreground. Authenticates with AK_SERVER/AK_TOKEN or the CLI config; a user token "
            + "registers this machine and the issued machine key is kept in the state directory (0600). "
            + "SIGTERM stops taking work and lets agents finish their current step; a second signal stops them. "
            + "Fails at once if another daemon runs with the same state directory. "
            + "Each agent runs in a sandbox (its own user, mount and PID namespaces): it sees its worktree, a private temp dir "
            + "and the rest of the machine, but not the daemon's state, the CLI config, the server's data, other sessions' "
            + "worktrees or other processes. Where the machine cannot make one, no agent starts unless --no-sandbox is given.");
        var state = CommonOptions.Optional("--state", StateDescription, "DIR");
        // Set by `ak daemon start`: stdout and stderr already are the log file, so the console logger stays off.
        var detached = new Option<bool>("--detached") { Hidden = true };
        // Also from `ak daemon start`: runtime knobs it set for the daemon process only, kept out of the agents' environment.
        var ownKnobs = new Option<string[]>("--own-env") { Hidden = true, AllowMultipleArgumentsPerToken = false };
        var sandbox = new SandboxFlags();
        var caps = new CapFlags();
        run.Add(state);
        run.Add(detached);
        run.Add(ownKnobs);
        sandbox.AddTo(run);
        caps.AddTo(run);
        parser.Bind(run, r => new RunDaemon(r.GetValue(state), r.GetValue(detached), r.GetValue(ownKnobs) ?? [], sandbox.Read(r), caps.Read(r)));
        return run;
    }

    private static Command BuildStart(CliParser parser)
    {
        var start = new Command("start", $"""
            Start the daemon in the background and wait until it is ready (registered with the server, first heartbeat
            sent). It runs in its own session, so closing the terminal does not stop it; its output goes to the daemon log.
            Prints its pid and log path. Fails (exit 1) if a daemon already runs with this state directory, or if the
            daemon exits during start-up (its last log lines are shown). Credentials as for `ak daemon run`.

            Examples:
              ak daemon start
              AK_SERVER=http://board:7420 AK_TOKEN=akp_… ak daemon start --state /srv/ak-daemon --wait 60
            """);
        var state = CommonOptions.Optional("--state", StateDescription, "DIR");
        var wait = Seconds("--wait", "How long to wait for the daemon to be ready", DefaultStartWaitSeconds);
        var sandbox = new SandboxFlags();
        var caps = new CapFlags();
        start.Add(state);
        start.Add(wait);
        sandbox.AddTo(start);
        caps.AddTo(start);
        parser.Bind(start, r => new StartDaemon(r.GetValue(state), TimeSpan.FromSeconds(r.GetValue(wait)), sandbox.Read(r), caps.Read(r)));
        return start;
    }

    private static Command BuildStop(CliParser parser)
    {
        var stop = new Command("stop", $"""
            Stop the daemon running with this state directory: SIGTERM, so it takes no new work and running agents stop
            after their current step (their sessions resume on the next start). After --timeout it is asked again (agents
            are stopped at once), and as a last resort killed (SIGKILL). Exit 0 once no daemon runs — also when none was
            running (a stale pid file is removed).

            Examples:
              ak daemon stop
              ak daemon stop --state /srv/ak-daemon --timeout 30
            """);
        var state = CommonOptions.Optional("--state", StateDescription, "DIR");
        var timeout = Seconds("--timeout", "How long to let it stop by itself before its agents are stopped at once", DefaultStopTimeoutSeconds);
        stop.Add(state);
        stop.Add(timeout);
        parser.Bind(stop, r => new StopDaemon(r.GetValue(state), TimeSpan.FromSeconds(r.GetValue(timeout))));
        return stop;
    }

    private static Command BuildStatus(CliParser parser)
    {
        var status = new Command("status", """
            Show whether the daemon runs with this state directory: pid, uptime, server, machine, its sessions by state,
            runtimes paused (rate limits) and until when, and the log path. Reads the daemon's store read-only.
            Exit 0 when a daemon runs (or is starting), 3 when none does.

            Examples:
              ak daemon status
              ak daemon status -o json
            """);
        var state = CommonOptions.Optional("--state", StateDescription, "DIR");
        status.Add(state);
        parser.Bind(status, r => new ShowDaemonStatus(r.GetValue(state), CommonOptions.Output(r, parser.Output)));
        return status;
    }

    private static Command BuildLogs(CliParser parser)
    {
        var logs = new Command("logs", """
            Print the daemon log (DIR/logs/daemon.log). With -f, keep printing new lines until Ctrl-C, across log
            rotation. Older rotated logs are daemon.log.1 … daemon.log.3 beside it.

            Examples:
              ak daemon logs --tail 50
              ak daemon logs -f
            """);
        var state = CommonOptions.Optional("--state", StateDescription, "DIR");
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing lines as they are written (Ctrl-C ends)" };
        var tail = new Option<int?>("--tail", "-n") { Description = "Only the last N lines (default: the whole file)", HelpName = "N" };
        tail.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 0)
            {
                result.AddError("--tail: N must be 0 or more.");
            }
        });
        logs.Add(state);
        logs.Add(follow);
        logs.Add(tail);
        parser.Bind(logs, r => new ShowDaemonLogs(r.GetValue(state), r.GetValue(tail), r.GetValue(follow)));
        return logs;
    }

    private static Option<int> Seconds(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, HelpName = "SECONDS", DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 86400)
            {
                result.AddError($"{name}: SECONDS must be between 1 and 86400.");
            }
        });
        return option;
    }

    /// <summary><c>--no-sandbox</c>, <c>--sandbox-hide</c>, <c>--sandbox-open</c>: the same on <c>run</c>, <c>start</c> and <c>up</c>.</summary>
    internal sealed class SandboxFlags
    {
        private readonly Option<bool> _off = new("--no-sandbox")
        {
            Description = "Run agents without a sandbox: they can read everything this user can (the daemon's keys, your token). Only where namespaces are unavailable and you accept that.",
        };

        private readonly Option<string[]> _hide = new("--sandbox-hide")
        {
            Description = "Also hide this directory from agents (repeatable)",
            HelpName = "DIR",
            AllowMultipleArgumentsPerToken = false,
        };

        private readonly Option<string[]> _open = new("--sandbox-open")
        {
            Description = "Let agents use this path although it lies in a hidden directory, read-write (repeatable)",
            HelpName = "PATH",
            AllowMultipleArgumentsPerToken = false,
        };

        public void AddTo(Command command)
        {
            command.Add(_off);
            command.Add(_hide);
            command.Add(_open);
        }

        public SandboxChoice Read(ParseResult result) =>
            new(!result.GetValue(_off), result.GetValue(_hide) ?? [], result.GetValue(_open) ?? []);
    }

    /// <summary><c>--max-agents</c>, <c>--max-agents-per-runtime</c> and <c>--unknown-reset-pause</c> on <c>run</c> and <c>start</c>.</summary>
    private sealed class CapFlags
    {
        private readonly Option<int?> _total = Cap("--max-agents", "Most agents running at once on this machine (default 6)");
        private readonly Option<int?> _perRuntime = Cap("--max-agents-per-runtime", "Most agents of one runtime running at once (default 3)");

        private readonly Option<string?> _unknownResetPause = new("--unknown-reset-pause")
        {
            Description = "How long a runtime pauses when its provider refuses work without saying when the limit resets (default 1h)",
            HelpName = "DURATION",
        };

        public CapFlags()
        {
            _unknownResetPause.Validators.Add(result =>
            {
                var text = result.GetValueOrDefault<string?>();
                if (!Durations.TryParse(text, out var pause) || pause is null)
                {
                    result.AddError($"--unknown-reset-pause: '{text}' is not a duration (e.g. 30m, 1h).");
                }
            });
        }

        public void AddTo(Command command)
        {
            command.Add(_total);
            command.Add(_perRuntime);
            command.Add(_unknownResetPause);
        }

        public AgentCaps Read(ParseResult result) =>
            new(result.GetValue(_total), result.GetValue(_perRuntime),
                Durations.TryParse(result.GetValue(_unknownResetPause), out var pause) ? pause : null);

        private static Option<int?> Cap(string name, string description)
        {
            var option = new Option<int?>(name) { Description = description, HelpName = "N" };
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int?>() is < 1)
                {
                    result.AddError($"{name}: at least 1.");
                }
            });
            return option;
        }
    }
}
