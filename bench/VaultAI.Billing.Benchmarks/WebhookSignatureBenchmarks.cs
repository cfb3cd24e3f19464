using System.Text;
using BenchmarkDotNet.Attributes;
using Stripe;

namespace VaultAI.Billing.Benchmarks;

/// <summary>
/// Stripe.net's <see cref="EventUtility.ValidateSignature(string, string, string, long, long)"/> on the webhook hot path,
/// tried per configured secret as our endpoint does: 1 KB and 16 KB bodies, one secret or two (rotation; the matching
/// secret is the second, so the first fails with an exception first).
/// </summary>
[MemoryDiagnoser]
public class WebhookSignatureBenchmarks
{
    private string _payload = "";
    private string _header = "";
    private string[] _secrets = [];
    private long _now;

    [Params(1024, 16 * 1024)]
    public int PayloadBytes { get; set; }

    [Params(1, 2)]
    public int Secrets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Fake, obviously generated secrets.
        const string current = "whsec_bench_current_0123456789abcdefghijklmnop";
        const string previous = "whsec_bench_previous_0123456789abcdefghijklmno";
        _payload = Encoding.UTF8.GetString(Fixtures.PayloadOfSize(PayloadBytes));
        _now = Fixtures.Created;
        _header = EventUtility.GenerateSignatureHeader(_payload, current, _now);
        _secrets = Secrets == 1 ? [current] : [previous, current];
        if (!Verify())
        {
            throw new InvalidOperationException("The benchmark signature does not verify.");
        }
    }

    [Benchmark]
    public bool Verify()
    {
        foreach (var secret in _secrets)
        {
            try
            {
                EventUtility.ValidateSignature(_payload, _header, secret, 300, _now);
                return true;
            }
            catch (StripeException)
            {
                // The next secret may match (rotation).
            }
        }

        return false;
    }
}
