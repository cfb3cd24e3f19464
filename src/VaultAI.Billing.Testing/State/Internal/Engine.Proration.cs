using System.Globalization;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>
/// What Stripe does when a subscription's licensed items change mid-period (<c>POST /v1/subscriptions/{id}</c> with
/// <c>items</c>): with <c>proration_behavior=create_prorations</c> (the default) it credits the unused time of what
/// was billed and charges the remaining time of what replaces it, to the second, as pending lines the next invoice
/// picks up; <c>always_invoice</c> invoices those lines at once; <c>none</c> changes the items and bills nothing until
/// the next renewal. A change of billing interval resets the billing cycle to now and invoices at once: the new
/// period in advance, the usage so far, and (unless <c>none</c>) the credit for the unused old period.
/// </summary>
internal sealed partial class Engine
{
    /// <summary>Proration lines waiting for the next invoice of each subscription.</summary>
    private readonly Dictionary<string, List<InvoiceLine>> _pendingProrations = new(StringComparer.Ordinal);

    /// <summary>The licensed items as they were billed before a change: item id, price, quantity.</summary>
    private List<(string ItemId, string PriceId, long Quantity)> SnapshotLicensed(Subscription sub) =>
        sub.Items.Where(i => !Prices[i.PriceId].IsMetered).Select(i => (i.Id, i.PriceId, i.Quantity ?? 1)).ToList();

    private static string ProrationBehavior(FormNode f)
    {
        var behavior = NullIfEmpty(f.Str("proration_behavior")) ?? "create_prorations";
        return ProrationBehaviors.Contains(behavior)
            ? behavior
            : throw StripeApiException.Invalid($"Invalid proration_behavior: must be one of {string.Join(", ", ProrationBehaviors)}", "proration_behavior");
    }

    /// <summary>
    /// Called once the new items are in place: computes the proration lines of the change and, for a new interval,
    /// starts a new billing cycle now. Returns what <see cref="InvoiceItemChange"/> must invoice at once, if anything.
    /// </summary>
    private (List<InvoiceLine> Lines, DateTimeOffset ClosedStart, DateTimeOffset ClosedEnd)? ProrateItemChange(
        Subscription sub,
        List<(string ItemId, string PriceId, long Quantity)> before,
        Price newFirst,
        string behavior,
        DateTimeOffset now)
    {
        var intervalChanged = newFirst.Interval != sub.Interval || newFirst.IntervalCount != sub.IntervalCount;
        if (sub.Status == "trialing")
        {
            // Nothing was charged during a trial, so there is nothing to prorate; the trial ends on the new interval.
            if (intervalChanged)
            {
                sub.Interval = newFirst.Interval!;
                sub.IntervalCount = newFirst.IntervalCount;
            }

            return null;
        }

        var lines = new List<InvoiceLine>();
        if (behavior != "none")
        {
            lines.AddRange(ProrationLines(sub, before, now, intervalChanged));
        }

        if (!intervalChanged)
        {
            if (behavior == "always_invoice")
            {
                return (lines, now, now);
            }

            if (lines.Count > 0)
            {
                PendingProrations(sub.Id).AddRange(lines);
            }

            return null;
        }

        // A new interval resets the cycle: the usage so far is billed now, and the new period is paid in advance.
        var closedStart = sub.CurrentPeriodStart;
        foreach (var item in sub.Items.Where(i => Prices[i.PriceId].IsMetered))
        {
            lines.Add(MeteredLine(sub, item, closedStart, now));
        }

        sub.Interval = newFirst.Interval!;
        sub.IntervalCount = newFirst.IntervalCount;
        sub.BillingCycleAnchor = now;
        sub.PeriodIndex = 0;
        sub.CurrentPeriodStart = now;
        sub.CurrentPeriodEnd = PeriodBoundary(sub, 1);
        foreach (var item in sub.Items.Where(i => !Prices[i.PriceId].IsMetered))
        {
            lines.Add(LicensedLine(sub, item, sub.CurrentPeriodStart, sub.CurrentPeriodEnd));
        }

        return (lines, closedStart, now);
    }

    /// <summary>
    /// Stripe's proration lines: for each licensed item whose price or quantity changed (or that was removed) a credit
    /// for the unused time of what was billed; for each changed or added item a charge for the remaining time (none when
    /// the interval changes, since the new period is billed whole).
    /// </summary>
    private List<InvoiceLine> ProrationLines(
        Subscription sub,
        List<(string ItemId, string PriceId, long Quantity)> before,
        DateTimeOffset now,
        bool intervalChanged)
    {
        var lines = new List<InvoiceLine>();
        var periodSeconds = (decimal)(sub.CurrentPeriodEnd - sub.CurrentPeriodStart).TotalSeconds;
        var remainingSeconds = (decimal)(sub.CurrentPeriodEnd - now).TotalSeconds;
        if (periodSeconds <= 0 || remainingSeconds <= 0)
        {
            return lines;
        }

        var fraction = remainingSeconds / periodSeconds;
        var after = SnapshotLicensed(sub);
        foreach (var old in before)
        {
            var current = after.FirstOrDefault(a => a.ItemId == old.ItemId);
            if (!intervalChanged && current.ItemId is not null && current.PriceId == old.PriceId && current.Quantity == old.Quantity)
            {
                continue;
            }

            lines.Add(ProrationLine(sub, old.ItemId, old.PriceId, old.Quantity, -fraction, "Unused time on", now));
        }

        if (intervalChanged)
        {
            return lines;
        }

        foreach (var current in after)
        {
            var old = before.FirstOrDefault(b => b.ItemId == current.ItemId);
            if (old.ItemId is not null && old.PriceId == current.PriceId && old.Quantity == current.Quantity)
            {
                continue;
            }

            lines.Add(ProrationLine(sub, current.ItemId, current.PriceId, current.Quantity, fraction, "Remaining time on", now));
        }

        return lines;
    }

    private InvoiceLine ProrationLine(Subscription sub, string itemId, string priceId, long quantity, decimal signedFraction, string label, DateTimeOffset now)
    {
        var price = Prices[priceId];
        var product = quantity == 1 ? ProductName(price) : string.Create(CultureInfo.InvariantCulture, $"{quantity} × {ProductName(price)}");
        return new InvoiceLine
        {
            Id = Ids.New("il_", 24),
            PriceId = priceId,
            SubscriptionItemId = itemId,
            Quantity = quantity,
            Amount = (long)Math.Round(price.UnitDecimal * quantity * signedFraction, MidpointRounding.AwayFromZero),
            Description = string.Create(CultureInfo.InvariantCulture, $"{label} {product} after {now:d MMM yyyy}"),
            PeriodStart = now,
            PeriodEnd = sub.CurrentPeriodEnd,
            Proration = true,
        };
    }

    /// <summary>Invoices a change at once (<c>always_invoice</c>, or a new interval), with any proration still pending.</summary>
    private void InvoiceItemChange(Subscription sub, (List<InvoiceLine> Lines, DateTimeOffset ClosedStart, DateTimeOffset ClosedEnd)? change, DateTimeOffset now)
    {
        if (change is not { } due)
        {
            return;
        }

        var lines = TakePendingProrations(sub.Id);
        lines.AddRange(due.Lines);
        if (lines.Count == 0)
        {
            return;
        }

        var invoice = NewInvoice(sub, "subscription_update", lines, due.ClosedStart, due.ClosedEnd, now);
        sub.LatestInvoiceId = invoice.Id;
        FinalizeAndCharge(invoice, now);
    }

    private List<InvoiceLine> PendingProrations(string subscriptionId)
    {
        if (!_pendingProrations.TryGetValue(subscriptionId, out var lines))
        {
            lines = [];
            _pendingProrations[subscriptionId] = lines;
        }

        return lines;
    }

    /// <summary>The proration lines waiting for this subscription's next invoice, removed from the queue.</summary>
    private List<InvoiceLine> TakePendingProrations(string subscriptionId) =>
        _pendingProrations.Remove(subscriptionId, out var lines) ? lines : [];

    /// <summary>The proration lines waiting for this subscription's next invoice, left in the queue (for a preview).</summary>
    private IReadOnlyList<InvoiceLine> PeekPendingProrations(string subscriptionId) =>
        _pendingProrations.TryGetValue(subscriptionId, out var lines) ? lines : [];
}
