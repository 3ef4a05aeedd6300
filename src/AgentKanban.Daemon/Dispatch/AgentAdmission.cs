using AgentKanban.Daemon.Loop;

namespace AgentKanban.Daemon.Dispatch;

/// <summary>
/// What decides whether an agent may start on this machine now — asked alike by a new dispatch and by a session that
/// resumes: the server confirmed this machine's leases lately (<see cref="LeaseKeeper.MayRun"/>, self-fencing), the
/// runtime is neither paused by a rate limit nor failing (<see cref="RuntimeGate"/>), and the caps leave a slot free
/// (<see cref="SlotReservations"/>).
/// </summary>
public sealed record AgentAdmission(LeaseKeeper Leases, RuntimeGate Runtimes, SlotReservations Slots);
