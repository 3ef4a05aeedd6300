namespace AgentKanban.Core.Policies;

/// <summary>Where backoff jitter comes from, so tests can fix it.</summary>
public interface IJitterSource
{
    /// <summary>A number in [0, 1).</summary>
    double NextUnit();
}

/// <summary>Jitter from <see cref="Random"/> (<see cref="Random.Shared"/> by default).</summary>
public sealed class RandomJitter(Random? random = null) : IJitterSource
{
    public static RandomJitter Shared { get; } = new();

    private readonly Random _random = random ?? Random.Shared;

    public double NextUnit() => _random.NextDouble();
}
