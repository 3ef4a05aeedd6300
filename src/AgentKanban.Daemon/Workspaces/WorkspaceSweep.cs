namespace AgentKanban.Daemon.Workspaces;

/// <summary>Counts of what <see cref="WorkspaceManager.SweepAsync"/> cleaned up.</summary>
public sealed record WorkspaceSweep(int TrashEntriesDeleted, int UnfinishedClonesRemoved, int MirrorsPruned);
