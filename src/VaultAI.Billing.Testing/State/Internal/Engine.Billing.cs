using System.Globalization;
using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

internal sealed partial class Engine
{
    private static readonly ParameterSchema InvoiceList = new(
        "customer", "subscription", "status", "limit", "starting_after", "ending_before", "expand[]", "collection_method");
    private static readonly ParameterSchema InvoicePreview = new("customer", "subscription", "expand[]");

    private enum Step
    {
        TrialWillEnd,
        TrialEnd,
        PeriodEnd,
        PaymentRetry,
        IncompleteExpiry,
    }

    /// <summary>The earliest step due at or before <paramref name="limit"/> for customers on no test clock, if any.</summary>
    public DateTimeOffset? NextDueTime(DateTimeOffset limit) => FindNextStep(limit, null)?.At;

    /// <summary>Runs every step due at or before <paramref name="limit"/> for customers on no test clock, in time order.</summary>
    public void RunDueSteps(DateTimeOffset limit) => InClockTime(null, () => RunDueSteps(limit, null));

    /// <summary>Runs the steps of one time domain (a test clock, or none) due at or before <paramref name="limit"/>.</summary>
    private bool RunDueSteps(DateTimeOffset limit, string? testClockId)
    {
        while (FindNextStep(limit, testClockId) is { } step)
        {
            Run(step);
        }

        return true;
    }

    /// <summary>Runs the steps that became due because the clock moved without <c>AdvanceTimeAsync</c>.</summary>
    private void CatchUp() => RunDueSteps(_clock.GetUtcNow());

    /// <summary>The next step of the customers of one time domain: a test clock, or none (the emulator's clock).</summary>
    private (DateTimeOffset At, long Order, Step Step, Subscription Sub, Invoice? Invoice)? FindNextStep(DateTimeOffset limit, string? testClockId)
    {
        (DateTimeOffset At, long Order, Step Step, Subscription Sub, Invoice? Invoice)? best = null;

        void Consider(DateTimeOffset at, Step step, Subscription sub, Invoice? invoice)
        {
            if (at > limit)
            {
                return;
            }

            var order = sub.Sequence * 10 + (int)step;
            if (best is null || at < best.Value.At || (at == best.Value.At && order < best.Value.Order))
            {
                best = (at, order, step, sub, invoice);
            }
        }

        foreach (var sub in Subscriptions.Values.Where(s => ClockOf(s.CustomerId) == testClockId))
        {
            switch (sub.Status)
            {
                case "trialing":
                    if (!sub.TrialWillEndSent)
                    {
                        Consider(sub.TrialEnd!.Value - TimeSpan.FromDays(3), Step.TrialWillEnd, sub, null);
                    }

                    Consider(sub.TrialEnd!.Value, Step.TrialEnd, sub, null);
                    break;
                case "active" or "past_due" or "unpaid":
                    Consider(sub.CurrentPeriodEnd, Step.PeriodEnd, sub, null);
                    break;
                case "incomplete":
                    Consider(sub.Created + TimeSpan.FromHours(23), Step.IncompleteExpiry, sub, null);
                    break;
            }
        }

        foreach (var invoice in Invoices.Values)
        {
            if (invoice.Status == "open" && invoice.NextPaymentAttempt is { } next && invoice.SubscriptionId is { } sid &&
                Subscriptions.TryGetValue(sid, out var sub) && !sub.IsEnded && ClockOf(sub.CustomerId) == testClockId)
            {
                Consider(next, Step.PaymentRetry, sub, invoice);
            }
        }

        return best;
    }

    private void Run((DateTimeOffset At, long Order, Step Step, Subscription Sub, Invoice? Invoice) step)
    {
        var (at, _, kind, sub, invoice) = step;
        switch (kind)
        {
            case Step.TrialWillEnd:
                sub.TrialWillEndSent = true;
                Emit("customer.subscription.trial_will_end", Render(sub), null, at);
                break;
            case Step.TrialEnd:
                EndTrial(sub, at);
                break;
            case Step.PeriodEnd:
                RenewOrEnd(sub, at);
                break;
            case Step.PaymentRetry:
                AttemptPayment(invoice!, at);
                break;
            case Step.IncompleteExpiry:
                var before = Render(sub);
                sub.Status = "incomplete_expired";
                sub.EndedAt = at;
                foreach (var open in Invoices.Values.Where(i => i.SubscriptionId == sub.Id && i.Status == "open"))
                {
                    open.Status = "void";
                    open.NextPaymentAttempt = null;
                }

                var after = Render(sub);
                Emit("customer.subscription.deleted", after, Diff(before, after), at);
                break;
        }
    }

    public void EndTrial(Subscription sub, DateTimeOffset at)
    {
        var before = Render(sub);
        sub.TrialWillEndSent = true;
        if (sub.CancelAtPeriodEnd)
        {
            sub.CurrentPeriodEnd = at;
            CancelNow(sub, at);
            return;
        }

        sub.Status = "active";
        sub.BillingCycleAnchor = sub.TrialEnd!.Value;
        sub.PeriodIndex = 0;
        sub.CurrentPeriodStart = sub.BillingCycleAnchor;
        sub.CurrentPeriodEnd = PeriodBoundary(sub, 1);
        var after = Render(sub);
        Emit("customer.subscription.updated", after, Diff(before, after), at);

        // Usage during the trial is free; the first paid invoice bills the licensed items in advance.
        var lines = sub.Items.Where(i => !Prices[i.PriceId].IsMetered)
            .Select(i => LicensedLine(sub, i, sub.CurrentPeriodStart, sub.CurrentPeriodEnd)).ToList();
        var invoice = NewInvoice(sub, "subscription_cycle", lines, at, at, at);
        sub.LatestInvoiceId = invoice.Id;
        FinalizeAndCharge(invoice, at);
    }

    private void RenewOrEnd(Subscription sub, DateTimeOffset at)
    {
        if (sub.CancelAtPeriodEnd)
        {
            CancelNow(sub, at);
            return;
        }

        var before = Render(sub);
        var closingStart = sub.CurrentPeriodStart;
        var closingEnd = sub.CurrentPeriodEnd;
        sub.PeriodIndex++;
        sub.CurrentPeriodStart = closingEnd;
        sub.CurrentPeriodEnd = PeriodBoundary(sub, sub.PeriodIndex + 1);
        var lines = TakePendingProrations(sub.Id);
        lines.AddRange(BuildCycleLines(sub, closingStart, closingEnd));
        var after = Render(sub);
        Emit("customer.subscription.updated", after, Diff(before, after), at);
        var invoice = NewInvoice(sub, "subscription_cycle", lines, closingStart, closingEnd, at);
        sub.LatestInvoiceId = invoice.Id;
        if (sub.Status == "unpaid")
        {
            // Stripe leaves new invoices of unpaid subscriptions unattempted.
            invoice.Status = "open";
            invoice.FinalizedAt = at;
            Emit("invoice.finalized", Render(invoice), null, at);
            return;
        }

        FinalizeAndCharge(invoice, at);
    }

    /// <summary>Lines of a renewal invoice: usage of the closed period (metered) plus the new period in advance (licensed).</summary>
    private List<InvoiceLine> BuildCycleLines(Subscription sub, DateTimeOffset closingStart, DateTimeOffset closingEnd)
    {
        var lines = new List<InvoiceLine>();
        foreach (var item in sub.Items)
        {
            var price = Prices[item.PriceId];
            if (price.IsMetered)
            {
                lines.AddRange(MeteredLines(sub, item, closingStart, closingEnd));
            }
            else
            {
                lines.Add(LicensedLine(sub, item, sub.CurrentPeriodStart, sub.CurrentPeriodEnd));
            }
        }

        return lines;
    }

    private InvoiceLine LicensedLine(Subscription sub, SubscriptionItem item, DateTimeOffset from, DateTimeOffset to)
    {
        var price = Prices[item.PriceId];
        var quantity = item.Quantity ?? 1;
        return new InvoiceLine
        {
            Id = Ids.New("il_", 24),
            PriceId = price.Id,
            SubscriptionItemId = item.Id,
            Quantity = quantity,
            Amount = (long)Math.Round(price.UnitDecimal * quantity, MidpointRounding.AwayFromZero),
            Description = $"{quantity} × {ProductName(price)} (at {FormatMoney(price.UnitDecimal, price.Currency)} / {price.Interval})",
            PeriodStart = from,
            PeriodEnd = to,
        };
    }

    private InvoiceLine MeteredLine(Subscription sub, SubscriptionItem item, DateTimeOffset from, DateTimeOffset to)
    {
        var price = Prices[item.PriceId];
        var usage = price.MeterId is { } meterId && Meters.TryGetValue(meterId, out var meter) ? Aggregate(meter, sub.CustomerId, from, to) : 0;
        return new InvoiceLine
        {
            Id = Ids.New("il_", 24),
            PriceId = price.Id,
            SubscriptionItemId = item.Id,
            Quantity = usage,
            Amount = (long)Math.Round(price.UnitDecimal * usage, MidpointRounding.AwayFromZero),
            Description = $"{usage} × {ProductName(price)} (at {FormatMoney(price.UnitDecimal, price.Currency)} / unit)",
            PeriodStart = from,
            PeriodEnd = to,
        };
    }

    private InvoiceLine TrialLine(Subscription sub, SubscriptionItem item)
    {
        var price = Prices[item.PriceId];
        return new InvoiceLine
        {
            Id = Ids.New("il_", 24),
            PriceId = price.Id,
            SubscriptionItemId = item.Id,
            Quantity = item.Quantity ?? 0,
            Amount = 0,
            Description = $"Trial period for {ProductName(price)}",
            PeriodStart = sub.CurrentPeriodStart,
            PeriodEnd = sub.CurrentPeriodEnd,
        };
    }

    private string ProductName(Price price) => Products.TryGetValue(price.ProductId, out var p) ? p.Name : price.ProductId;

    private static string FormatMoney(decimal minorUnits, string currency) =>
        string.Create(CultureInfo.InvariantCulture, $"{minorUnits / 100m:0.00####} {currency.ToUpperInvariant()}");

    private Invoice NewInvoice(Subscription sub, string reason, List<InvoiceLine> lines, DateTimeOffset periodStart, DateTimeOffset periodEnd, DateTimeOffset at)
    {
        var invoice = new Invoice
        {
            Id = Ids.New("in_", 24),
            Sequence = NextSequence(),
            Created = at,
            CustomerId = sub.CustomerId,
            SubscriptionId = sub.Id,
            Status = "draft",
            Currency = sub.Currency,
            BillingReason = reason,
            Lines = lines,
            PeriodStart = periodStart,
            PeriodEnd = periodEnd,
            Number = string.Create(CultureInfo.InvariantCulture, $"EMU-{++_invoiceNumber:D4}"),
        };
        Invoices[invoice.Id] = invoice;
        Emit("invoice.created", Render(invoice), null, at);
        return invoice;
    }

    /// <summary>Finalizes a draft invoice and charges it at once (Stripe waits about an hour; the emulator does not).</summary>
    private void FinalizeAndCharge(Invoice invoice, DateTimeOffset at)
    {
        invoice.Status = "open";
        invoice.FinalizedAt = at;
        ApplyCustomerBalance(invoice);
        Emit("invoice.finalized", Render(invoice), null, at);

        // Nothing to charge (a credit from a downgrade stays with Stripe as customer balance).
        if (invoice.AmountDue <= 0)
        {
            MarkPaid(invoice, at);
            return;
        }

        AttemptPayment(invoice, at);
    }

    private void AttemptPayment(Invoice invoice, DateTimeOffset at)
    {
        var customer = Customers[invoice.CustomerId];
        invoice.AttemptCount++;
        var sub = invoice.SubscriptionId is { } sid ? Subscriptions.GetValueOrDefault(sid) : null;
        if (customer.Outcome == PaymentOutcome.Succeeds)
        {
            MarkPaid(invoice, at);
            return;
        }

        var exhausted = invoice.AttemptCount > _options.PaymentRetryAttempts;
        var initial = sub is { Status: "incomplete" };
        invoice.NextPaymentAttempt = exhausted || initial ? null : at + _options.PaymentRetryInterval;
        Emit("invoice.payment_failed", Render(invoice), null, at);
        if (sub is null || initial)
        {
            return;
        }

        if (!exhausted)
        {
            SetStatus(sub, "past_due", at);
        }
        else if (_options.FailedPaymentFinalStatus == "unpaid")
        {
            SetStatus(sub, "unpaid", at);
        }
        else
        {
            CancelNow(sub, at);
        }
    }

    private void MarkPaid(Invoice invoice, DateTimeOffset at)
    {
        invoice.Status = "paid";
        invoice.PaidAt = at;
        invoice.NextPaymentAttempt = null;
        var json = Render(invoice);
        Emit("invoice.paid", json, null, at);
        Emit("invoice.payment_succeeded", Render(invoice), null, at);
        if (invoice.SubscriptionId is { } sid && Subscriptions.TryGetValue(sid, out var sub) &&
            sub.Status is "past_due" or "unpaid" or "incomplete" &&
            !Invoices.Values.Any(i => i.SubscriptionId == sid && i.Status == "open" && i.AttemptCount > 0))
        {
            SetStatus(sub, "active", at);
        }
    }

    private void SetStatus(Subscription sub, string status, DateTimeOffset at)
    {
        if (sub.Status == status)
        {
            return;
        }

        var before = Render(sub);
        sub.Status = status;
        var after = Render(sub);
        Emit("customer.subscription.updated", after, Diff(before, after), at);
    }

    /// <summary>Sets the payment outcome; when a customer starts succeeding, nothing is charged until the next scheduled retry.</summary>
    public void SetPaymentOutcome(string customerId, PaymentOutcome outcome)
    {
        var customer = Customers.GetValueOrDefault(customerId) ?? throw new ArgumentException($"No such customer: '{customerId}'.", nameof(customerId));
        customer.Outcome = outcome;
    }

    private JsonObject ListInvoices(FormNode f)
    {
        IEnumerable<Invoice> all = Invoices.Values.OrderByDescending(i => i.Sequence);
        if (f.Str("customer") is { Length: > 0 } customer)
        {
            all = all.Where(i => i.CustomerId == customer);
        }

        if (f.Str("subscription") is { Length: > 0 } subscription)
        {
            all = all.Where(i => i.SubscriptionId == subscription);
        }

        if (f.Str("status") is { Length: > 0 } status)
        {
            if (status is not ("draft" or "open" or "paid" or "uncollectible" or "void"))
            {
                throw StripeApiException.Invalid("Invalid status: must be one of draft, open, paid, uncollectible, or void", "status");
            }

            all = all.Where(i => i.Status == status);
        }

        var expand = Expand(f, list: true);
        return RenderList(all, i => i.Id, i => Render(i, expand), f, "/v1/invoices", "invoice");
    }

    private JsonObject PreviewInvoice(FormNode f)
    {
        Subscription? sub;
        if (f.Str("subscription") is { Length: > 0 } sid)
        {
            sub = FindSubscription(sid, "subscription");
            if (f.Str("customer") is { Length: > 0 } cid && cid != sub.CustomerId)
            {
                throw StripeApiException.Invalid("The subscription does not belong to that customer.", "customer");
            }
        }
        else if (f.Str("customer") is { Length: > 0 } cid)
        {
            FindCustomer(cid, "customer");
            sub = Subscriptions.Values.Where(s => s.CustomerId == cid && !s.IsEnded).OrderByDescending(s => s.Sequence).FirstOrDefault();
        }
        else
        {
            throw StripeApiException.Invalid("Missing required param: customer or subscription.", "customer", "parameter_missing");
        }

        if (sub is null || sub.IsEnded || sub.CancelAtPeriodEnd)
        {
            throw StripeApiException.Invalid($"No upcoming invoices for customer: {f.Str("customer")}", "customer", "invoice_upcoming_none");
        }

        // The invoice that would be created at the end of the current period, with usage so far.
        var nextStart = sub.CurrentPeriodEnd;
        var nextEnd = sub.Status == "trialing"
            ? (sub.Interval switch
            {
                "day" => nextStart.AddDays(sub.IntervalCount),
                "week" => nextStart.AddDays(7 * sub.IntervalCount),
                "year" => nextStart.AddYears(sub.IntervalCount),
                _ => nextStart.AddMonths(sub.IntervalCount),
            })
            : PeriodBoundary(sub, sub.PeriodIndex + 2);
        var lines = new List<InvoiceLine>(PeekPendingProrations(sub.Id));
        foreach (var item in sub.Items)
        {
            var price = Prices[item.PriceId];
            if (price.IsMetered)
            {
                if (sub.Status != "trialing")
                {
                    lines.AddRange(MeteredLines(sub, item, sub.CurrentPeriodStart, sub.CurrentPeriodEnd));
                }
            }
            else
            {
                lines.Add(LicensedLine(sub, item, nextStart, nextEnd));
            }
        }

        var preview = new Invoice
        {
            Id = "upcoming",
            Created = Now,
            CustomerId = sub.CustomerId,
            SubscriptionId = sub.Id,
            Status = "draft",
            Currency = sub.Currency,
            BillingReason = "upcoming",
            Lines = lines,
            PeriodStart = sub.CurrentPeriodStart,
            PeriodEnd = sub.CurrentPeriodEnd,
        };
        // As on Stripe, the preview shows what the customer balance will take off (or add), without moving it yet.
        if (Customers.TryGetValue(sub.CustomerId, out var customer) && customer.Balance != 0 &&
            (customer.Currency is null || customer.Currency == preview.Currency))
        {
            preview.StartingBalance = customer.Balance;
            preview.AppliedBalance = customer.Balance < 0 ? Math.Max(customer.Balance, -Math.Max(preview.Total, 0)) : customer.Balance;
        }

        var json = Render(preview, Expand(f), "upcoming_in_" + Ids.RandomString(24));
        json["next_payment_attempt"] = Unix(sub.CurrentPeriodEnd);
        return json;
    }
}
