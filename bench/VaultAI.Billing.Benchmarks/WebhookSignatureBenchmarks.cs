using BenchmarkDotNet.Attributes;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Benchmarks;

/// <summary>
/// <see cref="StripeWebhookSignature.Verify"/> on the webhook hot path: 1 KB and 16 KB bodies, one secret or two
/// (rotation; the matching secret is the second, so both HMACs are computed either way).
/// </summary>
[MemoryDiagnoser]
public class WebhookSignatureBenchmarks
{
    private byte[] _payload = [];
    private string _header = "";
    private string[] _secrets = [];
    private DateTimeOffset _now;

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
        _payload = Fixtures.PayloadOfSize(PayloadBytes);
        _now = DateTimeOffset.FromUnixTimeSeconds(Fixtures.Created);
        _header = StripeWebhookSignature.GenerateHeader(_payload, current, _now);
        _secrets = Secrets == 1 ? [current] : [previous, current];
        if (Verify() != StripeSignatureVerificationResult.Valid)
        {
            throw new InvalidOperationException("The benchmark signature does not verify.");
        }
    }

    [Benchmark]
    public StripeSignatureVerificationResult Verify() =>
        StripeWebhookSignature.Verify(_payload, _header, _secrets, _now, StripeWebhookSignature.DefaultTolerance);
}
