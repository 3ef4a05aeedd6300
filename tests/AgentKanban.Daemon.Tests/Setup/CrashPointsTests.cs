using AgentKanban.Daemon.Infrastructure;

namespace AgentKanban.Daemon.Tests.Setup;

public sealed class CrashPointsTests
{
    [Fact]
    public void Crash_point_needs_both_variables_to_be_armed()
    {
        Assert.False(CrashPoints.FromEnvironment(new Dictionary<string, string?> { [CrashPoints.PointVariable] = "lease-taken" }).IsArmed);
        Assert.False(CrashPoints.FromEnvironment(new Dictionary<string, string?> { [CrashPoints.EnableVariable] = "1" }).IsArmed);
        Assert.False(CrashPoints.FromEnvironment(new Dictionary<string, string?>
        {
            [CrashPoints.EnableVariable] = "1", [CrashPoints.PointVariable] = "no-such-point",
        }).IsArmed);
        Assert.True(CrashPoints.FromEnvironment(new Dictionary<string, string?>
        {
            [CrashPoints.EnableVariable] = "1", [CrashPoints.PointVariable] = "transition-committed:3",
        }).IsArmed);
    }

    [Fact]
    public void Every_point_has_a_name_that_parses_back()
    {
        foreach (var point in Enum.GetValues<CrashPoint>())
        {
            Assert.True(CrashPoints.TryParse(CrashPoints.Name(point), out var parsed));
            Assert.Equal(point, parsed);
        }
    }
}
