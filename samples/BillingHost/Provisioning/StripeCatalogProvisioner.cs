using System.Globalization;
using System.Text;
using System.Text.Json;
using Stripe;
using Stripe.Billing;

namespace BillingHost.Provisioning;

/// <summary>A plan that <see cref="StripeCatalogProvisioner"/> creates: one product, a monthly and a yearly metered price.</summary>
/// <param name="Key">The plan key of the catalog (<c>managed-cloud</c>).</param>
/// <param name="DisplayName">The product name.</param>
/// <param name="MonthlyUnitAmount">Price per active user per month, in minor units.</param>
/// <param name="YearlyUnitAmount">Price per active user per year, in minor units.</param>
public sealed record PlanSpec(string Key, string DisplayName, long MonthlyUnitAmount, long YearlyUnitAmount)
{
    /// <summary>The lookup key of the monthly price.</summary>
    public string MonthlyLookupKey => $"vaultai_{Key.Replace('-', '_')}_monthly";

    /// <summary>The lookup key of the yearly price.</summary>
    public string YearlyLookupKey => $"vaultai_{Key.Replace('-', '_')}_yearly";
}

/// <summary>One provisioned plan.</summary>
public sealed record ProvisionedPlan(PlanSpec Spec, string ProductId, string MonthlyPriceId, string YearlyPriceId, long MonthlyUnitAmount, string Currency);

/// <summary>What <see cref="StripeCatalogProvisioner.ProvisionAsync"/> found or created.</summary>
/// <param name="MeterId">The meter id.</param>
/// <param name="Plans">The plans.</param>
/// <param name="Created">Objects created by this run (0 on a second run).</param>
public sealed record ProvisioningResult(string MeterId, IReadOnlyList<ProvisionedPlan> Plans, int Created)
{
    /// <summary>The plan catalog as configuration keys under <c>VaultAI:Billing</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToConfiguration()
    {
        var settings = new List<KeyValuePair<string, string>>();
        foreach (var plan in Plans)
        {
            var p = $"VaultAI:Billing:Plans:{plan.Spec.Key}:";
            settings.Add(new(p + "DisplayName", plan.Spec.DisplayName));
            settings.Add(new(p + "MonthlyPriceId", plan.MonthlyPriceId));
            settings.Add(new(p + "YearlyPriceId", plan.YearlyPriceId));
            settings.Add(new(p + "MonthlyUnitAmount", plan.MonthlyUnitAmount.ToString(CultureInfo.InvariantCulture)));
            settings.Add(new(p + "Currency", plan.Currency));
            settings.Add(new(p + "Metered:0:Metric", StripeCatalogProvisioner.Metric));
            settings.Add(new(p + "Metered:0:MeterEventName", StripeCatalogProvisioner.MeterEventName));
            settings.Add(new(p + "Metered:0:Aggregation", "Last"));
        }

        return settings;
    }

    /// <summary>The configuration as environment variables (<c>__</c> for <c>:</c>).</summary>
    public string ToEnvironmentVariables()
    {
        var text = new StringBuilder();
        foreach (var (key, value) in ToConfiguration())
        {
            text.Append(key.Replace(":", "__", StringComparison.Ordinal)).Append('=').Append(value).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The configuration as an appsettings JSON fragment.</summary>
    public string ToJson()
    {
        var plans = Plans.ToDictionary(
            p => p.Spec.Key,
            p => new
            {
                p.Spec.DisplayName,
                p.MonthlyPriceId,
                p.YearlyPriceId,
                p.MonthlyUnitAmount,
                p.Currency,
                Metered = new[] { new { Metric = StripeCatalogProvisioner.Metric, MeterEventName = StripeCatalogProvisioner.MeterEventName, Aggregation = "Last" } },
            },
            StringComparer.Ordinal);
        return JsonSerializer.Serialize(new { VaultAI = new { Billing = new { Plans = plans } } }, JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

/// <summary>
/// Creates, or finds, the Stripe objects VaultAI's plans need: the active-users meter (formula <c>last</c>), one product
/// per plan (found by <c>metadata[vaultai_plan]</c>) and monthly and yearly metered prices (found by lookup key).
/// Every create call carries an idempotency key derived from what it creates, so two runs at once still create one of each.
/// Used by the <c>setup-stripe</c> command and, against the emulator, by embedded mode.
/// </summary>
public sealed class StripeCatalogProvisioner(StripeClient stripe)
{
    /// <summary>The metric instances report.</summary>
    public const string Metric = "active_users";

    /// <summary>The meter's event name.</summary>
    public const string MeterEventName = "vaultai_active_users";

    /// <summary>The product metadata key holding the plan key.</summary>
    public const string PlanMetadataKey = "vaultai_plan";

    /// <summary>VaultAI's plans, per active user.</summary>
    public static IReadOnlyList<PlanSpec> DefaultPlans { get; } =
    [
        new("managed-cloud", "Managed Cloud", 1200, 12000),
        new("self-hosted", "Self-Hosted", 800, 8000),
    ];

    /// <summary>Makes sure the meter, products and prices exist.</summary>
    /// <param name="currency">The currency of new prices.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The ids, and how many objects were created.</returns>
    public async Task<ProvisioningResult> ProvisionAsync(string currency = "eur", CancellationToken cancellationToken = default)
    {
        var created = 0;
        Meter? meter = null;
        await foreach (var m in stripe.V1.Billing.Meters.ListAutoPagingAsync(new MeterListOptions { Status = "active", Limit = 100 }, cancellationToken: cancellationToken))
        {
            if (m.EventName == MeterEventName)
            {
                meter = m;
                break;
            }
        }

        if (meter is null)
        {
            meter = await stripe.V1.Billing.Meters.CreateAsync(
                new MeterCreateOptions
                {
                    DisplayName = "VaultAI active users",
                    EventName = MeterEventName,
                    DefaultAggregation = new MeterDefaultAggregationOptions { Formula = "last" },
                    CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
                    ValueSettings = new MeterValueSettingsOptions { EventPayloadKey = "value" },
                },
                new RequestOptions { IdempotencyKey = $"vaultai-setup:meter:{MeterEventName}" },
                cancellationToken);
            created++;
        }

        var products = new Dictionary<string, Product>(StringComparer.Ordinal);
        await foreach (var product in stripe.V1.Products.ListAutoPagingAsync(new ProductListOptions { Active = true, Limit = 100 }, cancellationToken: cancellationToken))
        {
            if (product.Metadata?.TryGetValue(PlanMetadataKey, out var key) == true)
            {
                products.TryAdd(key, product);
            }
        }

        var plans = new List<ProvisionedPlan>();
        foreach (var spec in DefaultPlans)
        {
            if (!products.TryGetValue(spec.Key, out var product))
            {
                product = await stripe.V1.Products.CreateAsync(
                    new ProductCreateOptions { Name = spec.DisplayName, Metadata = new Dictionary<string, string> { [PlanMetadataKey] = spec.Key } },
                    new RequestOptions { IdempotencyKey = $"vaultai-setup:product:{spec.Key}" },
                    cancellationToken);
                created++;
            }

            var prices = new Dictionary<string, Price>(StringComparer.Ordinal);
            var listed = stripe.V1.Prices.ListAutoPagingAsync(new PriceListOptions { LookupKeys = [spec.MonthlyLookupKey, spec.YearlyLookupKey], Limit = 100 }, cancellationToken: cancellationToken);
            await foreach (var price in listed)
            {
                if (price.LookupKey is not null)
                {
                    prices.TryAdd(price.LookupKey, price);
                }
            }

            var monthly = await EnsurePriceAsync(prices, spec.MonthlyLookupKey, product.Id, meter.Id, "month", spec.MonthlyUnitAmount, currency, spec, cancellationToken);
            var yearly = await EnsurePriceAsync(prices, spec.YearlyLookupKey, product.Id, meter.Id, "year", spec.YearlyUnitAmount, currency, spec, cancellationToken);
            created += (monthly.Created ? 1 : 0) + (yearly.Created ? 1 : 0);
            plans.Add(new ProvisionedPlan(
                spec,
                product.Id,
                monthly.Price.Id,
                yearly.Price.Id,
                monthly.Price.UnitAmount ?? (monthly.Price.UnitAmountDecimal is { } amount ? (long)Math.Round(amount) : spec.MonthlyUnitAmount),
                monthly.Price.Currency ?? currency));
        }

        return new ProvisioningResult(meter.Id, plans, created);
    }

    private async Task<(Price Price, bool Created)> EnsurePriceAsync(
        Dictionary<string, Price> existing, string lookupKey, string productId, string meterId, string interval, long unitAmount, string currency, PlanSpec spec, CancellationToken cancellationToken)
    {
        if (existing.TryGetValue(lookupKey, out var found))
        {
            return (found, false);
        }

        var price = await stripe.V1.Prices.CreateAsync(
            new PriceCreateOptions
            {
                Product = productId,
                Currency = currency,
                UnitAmountDecimal = unitAmount,
                Nickname = $"{spec.DisplayName} ({interval}ly, per active user)",
                LookupKey = lookupKey,
                Recurring = new PriceRecurringOptions { Interval = interval, UsageType = "metered", Meter = meterId },
                Metadata = new Dictionary<string, string> { [PlanMetadataKey] = spec.Key },
            },
            new RequestOptions { IdempotencyKey = $"vaultai-setup:price:{lookupKey}" },
            cancellationToken);
        return (price, true);
    }
}
