using AgentKanban.Agents.Runtimes;
using System.Collections;
using AgentKanban.Client;
using AgentKanban.Contracts;
using AgentKanban.Core.Policies;
using AgentKanban.Daemon.Dispatch;
using AgentKanban.Daemon.Git;
using AgentKanban.Daemon.Infrastructure;
using AgentKanban.Daemon.Loop;
using AgentKanban.Daemon.Outbox;
using AgentKanban.Daemon.Review;
using AgentKanban.Daemon.Runtimes;
using AgentKanban.Daemon.Sandbox;
using AgentKanban.Daemon.Sessions;
using AgentKanban.Daemon.Setup;
using AgentKanban.Daemon.Store;
using AgentKanban.Daemon.Workspaces;
using Microsoft.Extensions.Logging;

namespace AgentKanban.Daemon;

public sealed partial class RunningDaemon
{
    /// <summary>Resolves state dir and credentials, registers the machine, opens the store, wires the parts, and starts them.</summary>
    public static async Task<RunningDaemon> StartAsync(DaemonOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var environment = options.Environment ?? ProcessEnvironment();
        var timeProvider = TimeProvider.System;
        var paths = StatePaths.Resolve(options.StateDir, environment);
        paths.Ensure();
        var instanceLock = await AcquireLockAsync(paths, cancellationToken);
        var loggerFactory = CreateLogging(options, paths, timeProvider);
        try
        {
            var credentials = await Credentials.ResolveAsync(options.Server, options.Token, environment, cancellationToken);
            var runtimes = RuntimeCatalog.Discover(options.RuntimeExecutables, environment);
            var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var streamHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var api = new BoardApiClient(http, new Uri(credentials.Server), credentials.Token);
            var machineName = options.MachineName ?? Environment.MachineName;
            var template = new RegisterMachineRequest
            {
                Name = machineName,
                Os = $"{Environment.OSVersion.Platform} {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}",
                Version = typeof(RunningDaemon).Assembly.GetName().Version?.ToString(3),
            };
            var identity = await RegisterWithRetryAsync(credentials, paths, api, template, timeProvider, loggerFactory, cancellationToken);
            var streamApi = new BoardApiClient(streamHttp, new Uri(credentials.Server), identity.MachineKey);

            var akDirectory = options.AkDirectory ?? AgentEnvironment.AkDirectoryOfThisProcess();
            var sandbox = await AgentSandbox.CreateAsync(
                SandboxSettings.ForDaemon(paths.Root, environment, options.SandboxHide, options.SandboxOpen, akDirectory),
                optOut: !options.Sandbox, environment, cancellationToken);
            LogSandbox(sandbox, loggerFactory.CreateLogger<AgentSandbox>());

            var crashPoints = CrashPoints.FromEnvironment(environment);
            var database = await DaemonDatabase.OpenAsync(paths.Database, crashPoints, cancellationToken);
            var context = new DaemonContext
            {
                Options = options,
                Paths = paths,
                Server = api.Audience,
                MachineId = identity.MachineId,
                MachineName = machineName,
                MachineKey = identity.MachineKey,
                Environment = environment,
                Runtimes = runtimes,
                AkDirectory = akDirectory,
                Sandbox = sandbox,
            };

            var workspaceOptions = new WorkspaceOptions(paths.Root);
            var git = new GitRunner(new GitRunnerOptions(), timeProvider, loggerFactory.CreateLogger<GitRunner>());
            var layout = new WorkspaceLayout(workspaceOptions);
            var mirrors = new MirrorStore(git, layout, workspaceOptions, timeProvider, loggerFactory.CreateLogger<MirrorStore>());
            var workspaces = new GitSessionWorkspaces(new WorkspaceManager(git, mirrors, layout, workspaceOptions, loggerFactory.CreateLogger<WorkspaceManager>()));
            var branches = new BranchMerges(git, mirrors, workspaceOptions);

            var host = new SandboxedAgentHost(sandbox, timeProvider, loggerFactory.CreateLogger<SandboxedAgentHost>());
            var daemon = Compose(database, api, streamApi, context, workspaces, host, timeProvider, loggerFactory, branches);
            daemon._instanceLock = instanceLock;
            daemon._disposables.Add(http);
            daemon._disposables.Add(streamHttp);
            await daemon.StartPartsAsync(cancellationToken);
            DaemonLog.Started(daemon._logger, context.MachineId, context.MachineName, context.Server, paths.Root,
                string.Join(", ", runtimes.Executables.Select(r => $"{r.Key}={(r.Value is null ? "missing" : r.Value)}")));
            // Last: `ak daemon start` reports success once this file names this process.
            await DaemonReadyFile.WriteAsync(paths.ReadyFile, new DaemonReady(
                Environment.ProcessId, timeProvider.GetUtcNow(), context.Server, context.MachineId, context.MachineName,
                template.Version, sandbox.Describe()), cancellationToken);
            return daemon;
        }
        catch
        {
            loggerFactory.Dispose();
            instanceLock.Dispose();
            throw;
        }
    }

    private static void LogSandbox(AgentSandbox sandbox, ILogger logger)
    {
        switch (sandbox.Mode)
        {
            case SandboxMode.On:
                SandboxLog.Ready(logger, sandbox.Describe());
                break;
            case SandboxMode.Off:
                SandboxLog.OptedOut(logger, sandbox.Describe());
                break;
            default:
                SandboxLog.Unavailable(logger, sandbox.Describe());
                break;
        }
    }

    /// <summary>Wires the parts over an open store; every runtime's agents start through <paramref name="host"/>.</summary>
    internal static RunningDaemon Compose(
        DaemonDatabase database,
        BoardApiClient api,
        BoardApiClient streamApi,
        DaemonContext context,
        ISessionWorkspaces workspaces,
        IAgentHost host,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        BranchMerges? branches = null)
    {
        var sessions = new SessionStore(database, timeProvider);
        var outboxStore = new OutboxStore(database);
        var notes = new TaskNotesStore(database);
        var gate = new RuntimeGate(timeProvider);
        var claims = new SessionClaims();
        var leases = new LeaseKeeper(context.Options, timeProvider, loggerFactory.CreateLogger<LeaseKeeper>());
        var outbox = new OutboxDeliverer(outboxStore, sessions, api, timeProvider, loggerFactory.CreateLogger<OutboxDeliverer>());
        var endings = new SessionEndings(sessions, gate, outbox, context.Options.RateLimits, timeProvider, loggerFactory.CreateLogger<SessionEndings>());
        var supervisor = new SessionSupervisor(sessions, endings, gate, outbox, api, host, context, timeProvider, loggerFactory.CreateLogger<SessionSupervisor>());
        var starter = new SessionStarter(sessions, endings, supervisor, workspaces, gate, api, context, claims, timeProvider, loggerFactory.CreateLogger<SessionStarter>());
        var cleaner = new SessionCleaner(sessions, workspaces, context, timeProvider, loggerFactory.CreateLogger<SessionCleaner>());
        var admission = new AgentAdmission(leases, gate, new SlotReservations(supervisor, context.Options));
        var continuer = new SessionContinuer(sessions, endings, starter, cleaner, supervisor, admission, api, context, timeProvider, loggerFactory.CreateLogger<SessionContinuer>());
        var dispatcher = new Dispatcher(api, sessions, outboxStore, outbox, notes, admission, starter, context, timeProvider, loggerFactory.CreateLogger<Dispatcher>());
        var watcher = new TaskWatcher(sessions, endings, supervisor, claims, leases, api, context, timeProvider, loggerFactory.CreateLogger<TaskWatcher>());
        var reconciler = new LeaseReconciler(sessions, outboxStore, outbox, watcher, dispatcher.IsInFlight, context, timeProvider,
            loggerFactory.CreateLogger<LeaseReconciler>());
        var loop = new DaemonLoop(sessions, continuer, dispatcher, watcher, supervisor, claims, gate, context, timeProvider, loggerFactory.CreateLogger<DaemonLoop>());
        var heartbeat = new Heartbeat(api, gate, leases, context, timeProvider, loggerFactory.CreateLogger<Heartbeat>());
        var feed = new WorkFeed(streamApi, watcher, context, timeProvider, loggerFactory.CreateLogger<WorkFeed>());
        var reviews = new ReviewMonitor(new ReviewWatchStore(database), sessions, watcher, api, branches,
            new GitHubPulls(context.Environment, context.Options.GitHubTimeout, timeProvider), context, timeProvider,
            loggerFactory.CreateLogger<ReviewMonitor>());

        // Wake-ups: a changed pause or breaker is reported at once and re-plans the loop; a finished run or
        // preparation frees a slot; a push may bring work; a reset of the push channel means pushes were lost.
        gate.Changed += heartbeat.Wake;
        gate.Changed += loop.Wake;
        supervisor.RunEnded += _ => loop.Wake();
        supervisor.SlotFreed += loop.SlotFreed;
        dispatcher.PreparationEnded += loop.Wake;
        feed.Pushed += loop.WorkPushed;
        feed.PushesMissed += loop.PushesMissed;
        supervisor.RunEnded += _ => reviews.Wake();
        reviews.SessionEnded += loop.Wake;

        // Leases: every heartbeat answer is reconciled with the store; a fence stops every agent at once; a confirmation
        // after a fence lets the stopped sessions continue.
        var daemon = new RunningDaemon(context, database, loggerFactory, timeProvider)
        {
            Sessions = sessions,
            Outbox = outboxStore,
            Notes = notes,
            Gate = gate,
            Supervisor = supervisor,
            Loop = loop,
            Deliverer = outbox,
            Heartbeat = heartbeat,
            Feed = feed,
            Dispatcher = dispatcher,
            Leases = leases,
            Pauses = new PauseStore(database),
            Breakers = new BreakerStore(database),
            Reviews = reviews,
        };
        heartbeat.Answered += answer => daemon.RunInBackground(token => reconciler.ReconcileAsync(answer, token));
        leases.LeasesUnconfirmed += grace => supervisor.FenceAll(grace);
        leases.LeasesConfirmedAgain += loop.RetryNow;
        return daemon;
    }

    private static async Task<MachineIdentity> RegisterWithRetryAsync(
        Credentials credentials, StatePaths paths, BoardApiClient api, RegisterMachineRequest template, TimeProvider timeProvider,
        ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var failures = 0;
        var logger = loggerFactory.CreateLogger<RunningDaemon>();
        while (true)
        {
            try
            {
                return await MachineRegistration.EnsureAsync(credentials, paths, api, template, cancellationToken);
            }
            catch (ServerApiException e) when (e.IsTransient)
            {
                // The board server is not up yet: keep trying (a daemon started before its server must not give up).
                DaemonLog.HeartbeatFailed(logger, "cannot register this machine yet: " + e.Message);
                await Task.Delay(RetryPolicy.Delay(++failures, Backoffs.ServerReconnect, 0), timeProvider, cancellationToken);
            }
        }
    }

    private static ILoggerFactory CreateLogging(DaemonOptions options, StatePaths paths, TimeProvider timeProvider) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(LogLevel.Information);
            builder.AddProvider(new FileLoggerProvider(paths.LogFile, timeProvider));
            if (options.LogToConsole)
            {
                builder.AddSimpleConsole(console =>
                {
                    console.SingleLine = true;
                    console.TimestampFormat = "HH:mm:ss ";
                });
            }
        });

    /// <summary>One daemon per state dir: two would both believe they own the same sessions.</summary>
    private static async Task<InstanceLock> AcquireLockAsync(StatePaths paths, CancellationToken cancellationToken)
    {
        var instanceLock = InstanceLock.TryAcquire(paths.LockFile);
        if (instanceLock is null)
        {
            var holder = InstanceLock.Holder(paths.LockFile);
            throw new DaemonSetupException(
                $"another daemon already runs with the state dir {paths.Root}{(holder > 0 ? $" (pid {holder})" : "")}");
        }

        try
        {
            // Whatever a previous daemon left (kill -9) is replaced now that this one holds the lock.
            DaemonReadyFile.Delete(paths.ReadyFile);
            await SecureFiles.WriteAtomicAsync(paths.PidFile, Environment.ProcessId + "\n", cancellationToken);
            return instanceLock;
        }
        catch
        {
            instanceLock.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string?> ProcessEnvironment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key)
            {
                env[key] = entry.Value as string;
            }
        }

        return env;
    }
}
