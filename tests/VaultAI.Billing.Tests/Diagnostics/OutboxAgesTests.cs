using VaultAI.Billing.Diagnostics;

namespace VaultAI.Billing.Tests.Diagnostics;

/// <summary>The outbox age gauges' cache: one store read per interval however often they are observed.</summary>
public class OutboxAgesTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Observations_WithinTheInterval_ReadTheStoreOnce_AndAgeWithTheClock()
    {
        var clock = new SettableClock(Start);
        var reads = new CountingReads(new OldestPending(Start.AddSeconds(-30), null));
        var ages = new OutboxAges(reads, clock);

        var first = Assert.Single(ages.MeterEventAge()).Value;
        for (var i = 0; i < 100; i++)
        {
            _ = ages.MeterEventAge().ToList();
            _ = ages.BillingEventDeliveryAge().ToList();
        }

        clock.Now += TimeSpan.FromSeconds(4);
        var later = Assert.Single(ages.MeterEventAge()).Value;

        Assert.Equal(1, reads.Count);
        Assert.Equal(30, first);
        Assert.Equal(34, later);
        Assert.Equal(0, Assert.Single(ages.BillingEventDeliveryAge()).Value);
    }

    [Fact]
    public void Observation_AfterTheInterval_ReadsTheStoreAgain()
    {
        var clock = new SettableClock(Start);
        var reads = new CountingReads(new OldestPending(Start, null));
        var ages = new OutboxAges(reads, clock);
        _ = ages.MeterEventAge().ToList();

        reads.Next = new OldestPending(null, null); // the dispatcher caught up
        clock.Now += OutboxAges.RefreshInterval;
        var age = Assert.Single(ages.MeterEventAge()).Value;

        Assert.Equal(2, reads.Count);
        Assert.Equal(0, age);
    }

    [Fact]
    public void Gauges_WithoutAStoreThatCanAnswer_AreNotAvailable()
    {
        Assert.False(new OutboxAges(null, TimeProvider.System).Available);
    }

    private sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Stands for the store's read (the EF query is covered on SQLite and PostgreSQL by the host's /metrics test).</summary>
    private sealed class CountingReads(OldestPending next) : IOutboxAgeReads
    {
        private int _count;

        public OldestPending Next { get; set; } = next;

        public int Count => Volatile.Read(ref _count);

        public Task<OldestPending> ReadOldestPendingAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(Next);
        }
    }
}
