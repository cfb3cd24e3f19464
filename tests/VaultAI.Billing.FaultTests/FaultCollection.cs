namespace VaultAI.Billing.FaultTests;

/// <summary>
/// Every fault test is in this one collection, so they run one at a time: they start and kill host processes, stop
/// PostgreSQL and slow Stripe down on purpose, and each one's timing should be its own on a 2-core machine. (A collection
/// rather than turning parallelization off: xunit enforces <c>Timeout</c> only while parallelization is on.)
/// </summary>
[CollectionDefinition(Name)]
public sealed class FaultCollection
{
    public const string Name = "Faults, one at a time";
}
