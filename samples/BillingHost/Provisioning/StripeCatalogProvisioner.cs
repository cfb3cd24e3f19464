using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stripe;
using Stripe.Billing;
using VaultAI.Billing;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;

namespace BillingHost.Provisioning;

/// <summary>One provisioned plan.</summary>
/// <param name="Key">The plan key of the catalog, for example <c>managed-cloud</c>.</param>
/// <param name="DisplayName">The product name.</param>
/// <param name="ProductId">The Stripe product.</param>
/// <param name="MonthlyPriceId">The base (or per-user) monthly price, if any.</param>
/// <param name="YearlyPriceId">The base (or per-user) yearly price, if any.</param>
public sealed record ProvisionedPlan(string Key, string DisplayName, string ProductId, string? MonthlyPriceId, string? YearlyPriceId);

/// <summary>What <see cref="StripeCatalogProvisioner.ProvisionAsync"/> found or created.</summary>
/// <param name="Catalog">The catalog's name.</param>
/// <param name="MeterIds">The Stripe meter of each meter event name.</param>
/// <param name="Plans">The plans.</param>
/// <param name="Settings">The catalog's settings plus the Stripe ids, as configuration keys.</param>
/// <param name="Created">Objects created by this run (0 on a second run).</param>
public sealed record ProvisioningResult(
    string Catalog,
    IReadOnlyDictionary<string, string> MeterIds,
    IReadOnlyList<ProvisionedPlan> Plans,
    IReadOnlyList<KeyValuePair<string, string>> Settings,
    int Created)
{
    /// <summary>The meter of the first metric (kept for callers that knew one meter).</summary>
    public string MeterId => MeterIds.Values.FirstOrDefault() ?? "";

    /// <summary>The plan catalog as configuration keys under <c>VaultAI:Billing</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToConfiguration() => Settings;

    /// <summary>The configuration as environment variables (<c>__</c> for <c>:</c>).</summary>
    public string ToEnvironmentVariables()
    {
        var text = new StringBuilder();
        foreach (var (key, value) in Settings)
        {
            text.Append(key.Replace(":", "__", StringComparison.Ordinal)).Append('=').Append(value).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The configuration as an appsettings JSON fragment.</summary>
    public string ToJson()
    {
        var root = new JsonObject();
        foreach (var (key, value) in Settings)
        {
            var node = root;
            var parts = key.Split(':');
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (node[parts[i]] is not JsonObject child)
                {
                    child = new JsonObject();
                    node[parts[i]] = child;
                }

                node = child;
            }

            node[parts[^1]] = value;
        }

        return Arrays(root)!.ToJsonString(JsonOptions);
    }

    /// <summary>Objects whose keys are 0, 1, 2... become arrays, as configuration binds them.</summary>
    private static JsonNode? Arrays(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return node?.DeepClone();
        }

        var keys = obj.Select(p => p.Key).ToList();
        if (keys.Count > 0 && keys.Select((k, i) => k == i.ToString(CultureInfo.InvariantCulture)).All(x => x))
        {
            return new JsonArray(obj.Select(p => Arrays(p.Value)).ToArray());
        }

        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            copy[key] = Arrays(value);
        }

        return copy;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

/// <summary>
/// Creates, or finds, the Stripe objects a plan catalog needs: a meter per metric with a meter event name, one product
/// per plan (found by <c>metadata[vaultai_plan]</c>), and its prices (found by lookup key): the base fee, the per-user
/// price, the seats, and per billed metric a metered overage price, graduated with a free first tier up to the included
/// quantity. Quantities reach Stripe in the metric's smallest unit (see <see cref="MetricDefinition.Decimals"/>), so tier
/// bounds and unit amounts are scaled to it. A price whose amounts changed is created anew and takes over the lookup key.
/// Every create call carries an idempotency key derived from what it creates, so two runs at once still create one of each.
/// Used by the <c>setup-stripe</c> command and, against the emulator, by embedded mode.
/// </summary>
public sealed class StripeCatalogProvisioner(StripeClient stripe)
{
    /// <summary>VaultAI's report metric.</summary>
    public const string Metric = "active_users";

    /// <summary>The meter event name of VaultAI's active users.</summary>
    public const string MeterEventName = "vaultai_active_users";

    /// <summary>The product metadata key holding the plan key.</summary>
    public const string PlanMetadataKey = "vaultai_plan";

    private const string S = VaultAIBillingOptions.SectionName;

    /// <summary>Makes sure the meters, products and prices of a catalog exist.</summary>
    /// <param name="catalog">The catalog; the default (<c>vaultai</c>) when <see langword="null"/>.</param>
    /// <param name="currency">A currency for every price, instead of each plan's own.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The ids, the settings to use, and how many objects were created.</returns>
    public async Task<ProvisioningResult> ProvisionAsync(PlanCatalog? catalog = null, string? currency = null, CancellationToken cancellationToken = default)
    {
        catalog ??= PlanCatalog.Load(PlanCatalog.DefaultName);
        var options = catalog.Options;
        var created = 0;
        var settings = catalog.Settings.Select(kv => new KeyValuePair<string, string>($"{S}:{kv.Key}", kv.Value)).ToList();
        void Set(string key, string value)
        {
            settings.RemoveAll(kv => kv.Key == key);
            settings.Add(new(key, value));
        }

        // Meters: one per metric that names a meter event.
        var meters = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var m in stripe.V1.Billing.Meters.ListAutoPagingAsync(new MeterListOptions { Status = "active", Limit = 100 }, cancellationToken: cancellationToken))
        {
            meters.TryAdd(m.EventName, m.Id);
        }

        foreach (var (key, metric) in options.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(metric.MeterEventName) || meters.ContainsKey(metric.MeterEventName))
            {
                continue;
            }

            var meter = await stripe.V1.Billing.Meters.CreateAsync(
                new MeterCreateOptions
                {
                    DisplayName = string.IsNullOrEmpty(metric.DisplayName) ? key : metric.DisplayName,
                    EventName = metric.MeterEventName,
                    // Stripe has no max: a Max metric is rolled up per window and billed on its last window.
                    DefaultAggregation = new MeterDefaultAggregationOptions { Formula = metric.Aggregation is MetricAggregation.Last or MetricAggregation.Max ? "last" : "sum" },
                    CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
                    ValueSettings = new MeterValueSettingsOptions { EventPayloadKey = "value" },
                },
                new RequestOptions { IdempotencyKey = $"vaultai-setup:meter:{metric.MeterEventName}" },
                cancellationToken);
            meters[metric.MeterEventName] = meter.Id;
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
        foreach (var (planKey, plan) in options.Plans.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var wanted = WantedPrices(planKey, plan, options, currency);
            if (wanted.Count == 0)
            {
                // A free plan: nothing in Stripe.
                plans.Add(new ProvisionedPlan(planKey, plan.DisplayName, "", null, null));
                continue;
            }

            var name = string.IsNullOrEmpty(plan.DisplayName) ? planKey : plan.DisplayName;
            if (!products.TryGetValue(planKey, out var found))
            {
                found = await stripe.V1.Products.CreateAsync(
                    new ProductCreateOptions { Name = name, Metadata = new Dictionary<string, string> { [PlanMetadataKey] = planKey } },
                    new RequestOptions { IdempotencyKey = $"vaultai-setup:product:{planKey}" },
                    cancellationToken);
                created++;
            }

            var existing = new Dictionary<string, Price>(StringComparer.Ordinal);
            foreach (var chunk in wanted.Select(w => w.LookupKey).Chunk(10))
            {
                var listed = stripe.V1.Prices.ListAutoPagingAsync(
                    new PriceListOptions { LookupKeys = [.. chunk], Limit = 100, Expand = ["data.tiers"] },
                    cancellationToken: cancellationToken);
                await foreach (var price in listed)
                {
                    if (price.LookupKey is not null)
                    {
                        existing.TryAdd(price.LookupKey, price);
                    }
                }
            }

            string? monthly = null, yearly = null;
            foreach (var spec in wanted)
            {
                var meterId = spec.MeterEventName is null ? null : meters[spec.MeterEventName];
                var (priceId, isNew) = await EnsurePriceAsync(existing, spec, found.Id, meterId, planKey, cancellationToken);
                created += isNew ? 1 : 0;
                Set($"{S}:Plans:{planKey}:{spec.Setting}", priceId);
                if (spec.Setting == "MonthlyPriceId")
                {
                    monthly = priceId;
                }
                else if (spec.Setting == "YearlyPriceId")
                {
                    yearly = priceId;
                }
            }

            if (plan.MonthlyUnitAmount > 0 && options.Metrics.TryGetValue(options.ReportMetric, out var report) && report.MeterEventName is { Length: > 0 } eventName)
            {
                // A per-user plan bills each usage report through the report metric's meter.
                Set($"{S}:Plans:{planKey}:Metered:0:Metric", options.ReportMetric);
                Set($"{S}:Plans:{planKey}:Metered:0:MeterEventName", eventName);
                Set($"{S}:Plans:{planKey}:Metered:0:Aggregation", report.Aggregation == MetricAggregation.Last ? "Last" : "Sum");
            }

            plans.Add(new ProvisionedPlan(planKey, name, found.Id, monthly, yearly));
        }

        return new ProvisioningResult(catalog.Name, meters, plans, settings, created);
    }

    /// <summary>A Stripe price a plan needs.</summary>
    private sealed record PriceSpec(
        string Setting,
        string LookupKey,
        string Nickname,
        string Currency,
        string Interval,
        string? MeterEventName,
        decimal? UnitAmountDecimal,
        IReadOnlyList<(long? UpTo, decimal UnitAmountDecimal)>? Tiers)
    {
        /// <summary>A short fingerprint of the amounts, so a changed price gets a new idempotency key.</summary>
        public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(
            '|', Currency, Interval, MeterEventName, UnitAmountDecimal?.ToString(CultureInfo.InvariantCulture),
            string.Join(',', (Tiers ?? []).Select(t => $"{t.UpTo}:{t.UnitAmountDecimal.ToString(CultureInfo.InvariantCulture)}"))))))[..12];
    }

    private static List<PriceSpec> WantedPrices(string planKey, BillingPlan plan, VaultAIBillingOptions options, string? currencyOverride)
    {
        var currency = (currencyOverride ?? plan.Currency).ToLowerInvariant();
        var prefix = "vaultai_" + planKey.Replace('-', '_');
        var name = string.IsNullOrEmpty(plan.DisplayName) ? planKey : plan.DisplayName;
        var yearly = plan.YearlyAmount > 0 || plan.Seats?.YearlyAmount > 0 || (plan.MonthlyUnitAmount > 0 && plan.YearlyUnitAmount > 0);
        var specs = new List<PriceSpec>();
        var reportMeter = options.Metrics.TryGetValue(options.ReportMetric, out var report) ? report.MeterEventName : null;
        if (plan.MonthlyAmount > 0)
        {
            specs.Add(new("MonthlyPriceId", prefix + "_monthly", $"{name} (monthly)", currency, "month", null, plan.MonthlyAmount, null));
        }
        else if (plan.MonthlyUnitAmount > 0 && reportMeter is not null)
        {
            specs.Add(new("MonthlyPriceId", prefix + "_monthly", $"{name} (monthly, per user)", currency, "month", reportMeter, plan.MonthlyUnitAmount, null));
        }

        if (plan.YearlyAmount > 0)
        {
            specs.Add(new("YearlyPriceId", prefix + "_yearly", $"{name} (yearly)", currency, "year", null, plan.YearlyAmount, null));
        }
        else if (plan.MonthlyUnitAmount > 0 && plan.YearlyUnitAmount > 0 && reportMeter is not null)
        {
            specs.Add(new("YearlyPriceId", prefix + "_yearly", $"{name} (yearly, per user)", currency, "year", reportMeter, plan.YearlyUnitAmount, null));
        }

        if (plan.Seats is { MonthlyAmount: > 0 } seats)
        {
            specs.Add(new("Seats:PriceId", prefix + "_seats_monthly", $"{name} seat (monthly)", currency, "month", null, seats.MonthlyAmount, null));
            if (seats.YearlyAmount > 0)
            {
                specs.Add(new("Seats:YearlyPriceId", prefix + "_seats_yearly", $"{name} seat (yearly)", currency, "year", null, seats.YearlyAmount, null));
            }
        }

        foreach (var (metricKey, terms) in plan.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (terms.OverageUnitAmount <= 0 || !options.Metrics.TryGetValue(metricKey, out var metric) || string.IsNullOrEmpty(metric.MeterEventName))
            {
                continue;
            }

            specs.Add(OverageSpec("Metrics:" + metricKey + ":OveragePriceId", $"{prefix}_{metricKey}_monthly", $"{name} {metricKey} (monthly)", currency, "month", metric, terms, 1));
            if (yearly)
            {
                // A yearly period includes twelve months of a summed quantity.
                var months = metric.Aggregation is MetricAggregation.Sum or MetricAggregation.Count ? 12 : 1;
                specs.Add(OverageSpec("Metrics:" + metricKey + ":YearlyOveragePriceId", $"{prefix}_{metricKey}_yearly", $"{name} {metricKey} (yearly)", currency, "year", metric, terms, months));
            }
        }

        return specs;
    }

    private static PriceSpec OverageSpec(string setting, string lookupKey, string nickname, string currency, string interval, MetricDefinition metric, PlanMetric terms, int months)
    {
        // Meter events carry the smallest unit (10^-Decimals of the metric's unit): scale the bound and the unit amount.
        var scale = 1m;
        for (var i = 0; i < metric.Decimals; i++)
        {
            scale *= 10;
        }

        var perSmallestUnit = decimal.Round(terms.OverageUnitAmount / scale, 12);
        if (terms.Included <= 0)
        {
            return new(setting, lookupKey, nickname, currency, interval, metric.MeterEventName, perSmallestUnit, null);
        }

        var included = (long)decimal.Ceiling(terms.Included * months * scale);
        return new(setting, lookupKey, nickname, currency, interval, metric.MeterEventName, null, [(included, 0m), (null, perSmallestUnit)]);
    }

    private async Task<(string PriceId, bool Created)> EnsurePriceAsync(
        Dictionary<string, Price> existing, PriceSpec spec, string productId, string? meterId, string planKey, CancellationToken cancellationToken)
    {
        var stale = false;
        if (existing.TryGetValue(spec.LookupKey, out var found))
        {
            if (Matches(found, spec, productId, meterId))
            {
                return (found.Id, false);
            }

            stale = true;
        }

        var options = new PriceCreateOptions
        {
            Product = productId,
            Currency = spec.Currency,
            Nickname = spec.Nickname,
            LookupKey = spec.LookupKey,
            TransferLookupKey = stale ? true : null,
            Recurring = new PriceRecurringOptions { Interval = spec.Interval, UsageType = meterId is null ? "licensed" : "metered", Meter = meterId },
            Metadata = new Dictionary<string, string> { [PlanMetadataKey] = planKey },
        };
        if (spec.Tiers is { } tiers)
        {
            options.BillingScheme = "tiered";
            options.TiersMode = "graduated";
            options.Tiers = tiers.Select(t => new PriceTierOptions
            {
                UpTo = t.UpTo is { } bound ? bound : PriceTierUpTo.Inf,
                UnitAmountDecimal = t.UnitAmountDecimal,
            }).ToList();
        }
        else
        {
            options.UnitAmountDecimal = spec.UnitAmountDecimal;
        }

        var price = await stripe.V1.Prices.CreateAsync(
            options,
            new RequestOptions { IdempotencyKey = $"vaultai-setup:price:{spec.LookupKey}:{spec.Fingerprint}" },
            cancellationToken);
        return (price.Id, true);
    }

    private static bool Matches(Price price, PriceSpec spec, string productId, string? meterId)
    {
        if (price.ProductId != productId || !string.Equals(price.Currency, spec.Currency, StringComparison.OrdinalIgnoreCase)
            || price.Recurring?.Interval != spec.Interval || price.Recurring?.Meter != meterId)
        {
            return false;
        }

        if (spec.Tiers is null)
        {
            return price.BillingScheme != "tiered" && (price.UnitAmountDecimal ?? price.UnitAmount) == spec.UnitAmountDecimal;
        }

        var tiers = price.Tiers ?? [];
        return price.BillingScheme == "tiered" && tiers.Count == spec.Tiers.Count
            && tiers.Zip(spec.Tiers).All(p => p.First.UpTo == p.Second.UpTo && (p.First.UnitAmountDecimal ?? p.First.UnitAmount ?? 0m) == p.Second.UnitAmountDecimal);
    }
}
