namespace AgentKanban.Core.Events;

/// <summary>Costs travel and are stored as whole micro-dollars so sums never drift.</summary>
public static class UsdCost
{
    public static long ToMicroUsd(decimal usd) =>
        decimal.ToInt64(decimal.Round(usd * 1_000_000m, MidpointRounding.AwayFromZero));
}
