using System.Globalization;
using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>Tiered prices (<c>billing_scheme=tiered</c>, graduated or volume) and their invoice lines.</summary>
internal sealed partial class Engine
{
    /// <summary>Reads and checks <c>billing_scheme</c>, <c>tiers_mode</c> and <c>tiers</c> as Stripe does; <see langword="null"/> for a per-unit price.</summary>
    private static Tiering? ReadTiering(FormNode f)
    {
        var scheme = f.Str("billing_scheme") ?? "per_unit";
        if (scheme is not ("per_unit" or "tiered"))
        {
            throw StripeApiException.Invalid("Invalid billing_scheme: must be one of per_unit or tiered", "billing_scheme");
        }

        var rows = f.List("tiers");
        if (scheme == "per_unit")
        {
            if (rows.Count > 0 || f.Str("tiers_mode") is not null)
            {
                throw StripeApiException.Invalid("Tiers can only be set when billing_scheme is tiered.", rows.Count > 0 ? "tiers" : "tiers_mode");
            }

            return null;
        }

        if (f.Str("unit_amount") is not null || f.Str("unit_amount_decimal") is not null)
        {
            throw StripeApiException.Invalid("unit_amount cannot be set when billing_scheme is tiered; set the amounts in tiers.", "unit_amount");
        }

        var mode = f.Str("tiers_mode") ?? throw StripeApiException.Missing("tiers_mode");
        if (mode is not ("graduated" or "volume"))
        {
            throw StripeApiException.Invalid("Invalid tiers_mode: must be one of graduated or volume", "tiers_mode");
        }

        if (rows.Count == 0)
        {
            throw StripeApiException.Missing("tiers");
        }

        var tiers = new List<PriceTier>();
        for (var i = 0; i < rows.Count; i++)
        {
            var (index, node) = rows[i];
            var param = $"tiers[{index}]";
            var upToText = node.Required("up_to", param + "[up_to]");
            long? upTo = null;
            if (upToText != "inf")
            {
                if (!long.TryParse(upToText, NumberStyles.None, CultureInfo.InvariantCulture, out var bound) || bound < 1)
                {
                    throw StripeApiException.Invalid("Invalid integer: up_to must be a positive integer or inf", param + "[up_to]");
                }

                upTo = bound;
            }

            var last = i == rows.Count - 1;
            if (last != (upTo is null))
            {
                throw StripeApiException.Invalid("The last tier must have up_to=inf, and only the last.", param + "[up_to]");
            }

            if (tiers.Count > 0 && upTo is not null && upTo <= tiers[^1].UpTo)
            {
                throw StripeApiException.Invalid("Tiers must be in increasing order of up_to.", param + "[up_to]");
            }

            var unit = OneOf(node, "unit_amount", "unit_amount_decimal", param);
            var flat = OneOf(node, "flat_amount", "flat_amount_decimal", param);
            if (unit is null && flat is null)
            {
                throw StripeApiException.Invalid("Each tier needs unit_amount, unit_amount_decimal, flat_amount or flat_amount_decimal.", param + "[unit_amount]");
            }

            tiers.Add(new PriceTier(upTo, unit, flat));
        }

        return new Tiering(mode, tiers);
    }

    private static decimal? OneOf(FormNode node, string whole, string exact, string param)
    {
        var a = node.Long(whole, $"{param}[{whole}]");
        var b = node.Decimal(exact, $"{param}[{exact}]");
        if (a is not null && b is not null)
        {
            throw StripeApiException.Invalid($"You may only specify one of these parameters: {whole}, {exact}.", $"{param}[{exact}]");
        }

        if (a < 0 || b < 0)
        {
            throw StripeApiException.Invalid("Invalid non-negative integer", $"{param}[{(a is null ? exact : whole)}]");
        }

        return a ?? b;
    }

    /// <summary>The lines of a metered item: one per tier for a graduated price (as Stripe renders them), else one.</summary>
    private List<InvoiceLine> MeteredLines(Subscription sub, SubscriptionItem item, DateTimeOffset from, DateTimeOffset to)
    {
        var price = Prices[item.PriceId];
        if (!price.IsTiered)
        {
            return [MeteredLine(sub, item, from, to)];
        }

        var usage = price.MeterId is { } meterId && Meters.TryGetValue(meterId, out var meter) ? Aggregate(meter, sub.CustomerId, from, to) : 0;
        return TieredLines(price, item, usage, from, to);
    }

    private List<InvoiceLine> TieredLines(Price price, SubscriptionItem item, long quantity, DateTimeOffset from, DateTimeOffset to)
    {
        var lines = new List<InvoiceLine>();
        var per = price.Interval ?? "unit";
        if (price.TiersMode == "volume")
        {
            // Volume: every unit at the rate of the tier the whole quantity falls in.
            var n = 0;
            while (price.Tiers[n].UpTo is { } bound && quantity > bound)
            {
                n++;
            }

            AddTierLines(lines, price, item, n, quantity, from, to, per);
            return lines;
        }

        long below = 0;
        for (var n = 0; n < price.Tiers.Count; n++)
        {
            var tier = price.Tiers[n];
            var inTier = Math.Max(0, Math.Min(quantity, tier.UpTo ?? long.MaxValue) - below);
            AddTierLines(lines, price, item, n, inTier, from, to, per);
            below = tier.UpTo ?? long.MaxValue;
        }

        return lines;
    }

    private void AddTierLines(List<InvoiceLine> lines, Price price, SubscriptionItem item, int n, long quantity, DateTimeOffset from, DateTimeOffset to, string per)
    {
        var tier = price.Tiers[n];
        var unit = tier.UnitAmountDecimal ?? 0m;
        lines.Add(new InvoiceLine
        {
            Id = Ids.New("il_", 24),
            PriceId = price.Id,
            SubscriptionItemId = item.Id,
            Quantity = quantity,
            Amount = (long)Math.Round(unit * quantity, MidpointRounding.AwayFromZero),
            UnitAmountDecimal = unit,
            Description = $"{quantity} × {ProductName(price)} (Tier {n + 1} at {FormatMoney(unit, price.Currency)} / {per})",
            PeriodStart = from,
            PeriodEnd = to,
        });

        // A tier's flat fee is charged once usage reaches the tier.
        if (tier.FlatAmountDecimal is { } flat && flat > 0 && quantity > 0)
        {
            lines.Add(new InvoiceLine
            {
                Id = Ids.New("il_", 24),
                PriceId = price.Id,
                SubscriptionItemId = item.Id,
                Quantity = 1,
                Amount = (long)Math.Round(flat, MidpointRounding.AwayFromZero),
                UnitAmountDecimal = flat,
                Description = $"{ProductName(price)} (Tier {n + 1} flat fee)",
                PeriodStart = from,
                PeriodEnd = to,
            });
        }
    }

    /// <summary>Adds the tiering of a price to its rendering, as Stripe does when <c>tiers</c> is expanded.</summary>
    private static void RenderTiering(Price p, JsonObject json)
    {
        json["billing_scheme"] = p.BillingScheme;
        json["tiers_mode"] = p.TiersMode;
        if (!p.IsTiered)
        {
            return;
        }

        var tiers = new JsonArray();
        foreach (var t in p.Tiers)
        {
            tiers.Add(new JsonObject
            {
                ["flat_amount"] = t.FlatAmountDecimal is { } f && f == decimal.Truncate(f) ? (long)f : null,
                ["flat_amount_decimal"] = t.FlatAmountDecimal is { } fd ? FormatDecimal(fd) : null,
                ["unit_amount"] = t.UnitAmountDecimal is { } u && u == decimal.Truncate(u) ? (long)u : null,
                ["unit_amount_decimal"] = t.UnitAmountDecimal is { } ud ? FormatDecimal(ud) : null,
                ["up_to"] = t.UpTo,
            });
        }

        json["tiers"] = tiers;
    }
}
