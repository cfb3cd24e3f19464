using BenchmarkDotNet.Attributes;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Benchmarks;

/// <summary>Parsing a realistic <c>customer.subscription.updated</c> webhook body (about 4 KB) and reading its subscription.</summary>
[MemoryDiagnoser]
public class StripeEventBenchmarks
{
    private byte[] _json = [];

    [GlobalSetup]
    public void Setup()
    {
        _json = Fixtures.SubscriptionUpdatedEvent();
        var subscription = ParseAndReadSubscription();
        if (subscription.Status != "active" || subscription.Items.Count != 1 || subscription.Items[0].Price?.Id is null)
        {
            throw new InvalidOperationException("The fixture did not parse as expected.");
        }
    }

    /// <summary>Gets the fixture size, shown in the results table.</summary>
    public int JsonBytes => _json.Length;

    [Benchmark(Baseline = true)]
    public StripeEvent Parse() => StripeEvent.Parse(_json);

    [Benchmark]
    public StripeSubscription ParseAndReadSubscription() => StripeEvent.Parse(_json).GetDataObject<StripeSubscription>();
}
