using System.Text;
using BenchmarkDotNet.Attributes;
using Stripe;

namespace VaultAI.Billing.Benchmarks;

/// <summary>
/// Parsing a realistic <c>customer.subscription.updated</c> webhook body (about 4 KB) with Stripe.net's
/// <see cref="EventUtility.ParseEvent"/> (any API release accepted, as our webhook endpoint does) and reading its subscription.
/// </summary>
[MemoryDiagnoser]
public class StripeEventBenchmarks
{
    private string _json = "";

    [GlobalSetup]
    public void Setup()
    {
        _json = Encoding.UTF8.GetString(Fixtures.SubscriptionUpdatedEvent());
        var subscription = ParseAndReadSubscription();
        if (subscription.Status != "active" || subscription.Items.Data.Count != 1 || subscription.Items.Data[0].Price?.Id is null)
        {
            throw new InvalidOperationException("The fixture did not parse as expected.");
        }
    }

    /// <summary>Gets the fixture size, shown in the results table.</summary>
    public int JsonBytes => Encoding.UTF8.GetByteCount(_json);

    [Benchmark(Baseline = true)]
    public Event Parse() => EventUtility.ParseEvent(_json, throwOnApiVersionMismatch: false);

    [Benchmark]
    public Subscription ParseAndReadSubscription() => (Subscription)EventUtility.ParseEvent(_json, throwOnApiVersionMismatch: false).Data.Object;
}
