using System.Globalization;

namespace VaultAI.Billing.IngestLoad;

/// <summary>Command-line settings; every loop is bounded by a count and a time cap.</summary>
internal sealed record LoadSettings
{
    public int Organizations { get; init; } = 200;
    public int Reports { get; init; } = 20_000;
    public int Concurrency { get; init; } = 16;
    public TimeSpan Cap { get; init; } = TimeSpan.FromSeconds(60);
    public int RetryPercent { get; init; } = 10;
    public int BillableReportsPerOrganization { get; init; } = 10;
    public int LinkConcurrency { get; init; } = 4;
    public int Dispatchers { get; init; } = 1;
    public int DispatchBatchSize { get; init; } = 100;
    public int DispatchConcurrency { get; init; } = 8;
    public int? DispatchMaxRequestsPerSecond { get; init; } // unset: the transport's default, 90 % of Stripe's limit
    public MeterEventTransport Transport { get; init; } = MeterEventTransport.V1;

    public static LoadSettings Parse(string[] args)
    {
        var s = new LoadSettings();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int() => int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
            s = name switch
            {
                "--orgs" => s with { Organizations = Int() },
                "--reports" => s with { Reports = Int() },
                "--concurrency" => s with { Concurrency = Int() },
                "--seconds" => s with { Cap = TimeSpan.FromSeconds(Int()) },
                "--retry-percent" => s with { RetryPercent = Int() },
                "--billable-per-org" => s with { BillableReportsPerOrganization = Int() },
                "--link-concurrency" => s with { LinkConcurrency = Int() },
                "--dispatchers" => s with { Dispatchers = Int() },
                "--dispatch-batch" => s with { DispatchBatchSize = Int() },
                "--dispatch-concurrency" => s with { DispatchConcurrency = Int() },
                "--dispatch-rps" => s with { DispatchMaxRequestsPerSecond = Int() },
                "--transport" => s with { Transport = value.ToLowerInvariant() switch { "v1" => MeterEventTransport.V1, "v2" => MeterEventTransport.V2Stream, _ => throw new ArgumentException("--transport is v1 or v2") } },
                _ => throw new ArgumentException($"Unknown option {name}. Options: --orgs --reports --concurrency --seconds --retry-percent --billable-per-org --link-concurrency --dispatchers --dispatch-batch --dispatch-concurrency --dispatch-rps --transport v1|v2"),
            };
        }

        if (s.Organizations < 1 || s.Reports < 1 || s.Concurrency is < 1 or > 256 || s.Cap <= TimeSpan.Zero || s.Cap > TimeSpan.FromMinutes(10) || s.RetryPercent is < 0 or > 100)
        {
            throw new ArgumentException("Out of range: orgs >= 1, reports >= 1, concurrency 1..256, seconds 1..600, retry-percent 0..100.");
        }

        return s;
    }
}
