using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

internal sealed partial class Engine
{
    private static readonly ParameterSchema SubscriptionCreate = new(
        "customer", "items[][price]", "items[][quantity]", "items[][metadata][*]", "trial_period_days", "trial_end", "metadata[*]",
        "payment_behavior", "proration_behavior", "expand[]", "default_payment_method", "description", "off_session",
        "cancel_at_period_end", "collection_method", "trial_settings[end_behavior][missing_payment_method]");
    private static readonly ParameterSchema SubscriptionUpdate = new(
        "items[][id]", "items[][price]", "items[][quantity]", "items[][deleted]", "items[][metadata][*]", "cancel_at_period_end",
        "metadata[*]", "proration_behavior", "payment_behavior", "trial_end", "expand[]", "default_payment_method", "description");
    private static readonly ParameterSchema SubscriptionList = new(
        "customer", "status", "price", "limit", "starting_after", "ending_before", "expand[]");
    private static readonly ParameterSchema SubscriptionCancel = new(
        "invoice_now", "prorate", "expand[]", "cancellation_details[comment]", "cancellation_details[feedback]");

    private static readonly string[] PaymentBehaviors = ["allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"];
    private static readonly string[] ProrationBehaviors = ["always_invoice", "create_prorations", "none"];

    public Subscription FindSubscription(string id, string param = "id") =>
        Subscriptions.GetValueOrDefault(id) ?? throw StripeApiException.NotFound("subscription", id, param);

    private JsonObject CreateSubscriptionFromApi(FormNode f)
    {
        var customer = FindCustomer(f.Required("customer"), "customer");
        var items = new List<(string PriceId, long? Quantity, Dictionary<string, string> Metadata)>();
        foreach (var (index, node) in f.List("items"))
        {
            var priceId = node.Required("price", $"items[{index}][price]");
            items.Add((priceId, node.Long("quantity", $"items[{index}][quantity]"), node.Map("metadata")));
        }

        if (items.Count == 0)
        {
            throw StripeApiException.Missing("items");
        }

        var now = Now;
        DateTimeOffset? trialEnd = null;
        if (f.Str("trial_end") is { Length: > 0 } trialEndRaw)
        {
            if (f.Has("trial_period_days"))
            {
                throw StripeApiException.Invalid("You may only specify one of these parameters: trial_end, trial_period_days.", "trial_end");
            }

            if (trialEndRaw != "now")
            {
                var unix = f.Long("trial_end")!.Value;
                trialEnd = DateTimeOffset.FromUnixTimeSeconds(unix);
                if (trialEnd <= now)
                {
                    throw StripeApiException.Invalid("Invalid timestamp: must be an integer Unix timestamp in the future.", "trial_end");
                }
            }
        }
        else if (f.Long("trial_period_days") is { } days)
        {
            if (days is < 0 or > 730)
            {
                throw StripeApiException.Invalid("Invalid trial_period_days: must be between 0 and 730.", "trial_period_days");
            }

            trialEnd = days == 0 ? null : now.AddDays(days);
        }

        var paymentBehavior = NullIfEmpty(f.Str("payment_behavior")) ?? "allow_incomplete";
        if (!PaymentBehaviors.Contains(paymentBehavior))
        {
            throw StripeApiException.Invalid($"Invalid payment_behavior: must be one of {string.Join(", ", PaymentBehaviors)}", "payment_behavior");
        }

        if (NullIfEmpty(f.Str("proration_behavior")) is { } proration && !ProrationBehaviors.Contains(proration))
        {
            throw StripeApiException.Invalid($"Invalid proration_behavior: must be one of {string.Join(", ", ProrationBehaviors)}", "proration_behavior");
        }

        var sub = CreateSubscription(customer, items, trialEnd, f.Map("metadata"), paymentBehavior, f.Bool("cancel_at_period_end") ?? false, now, "items");
        return Render(sub, Expand(f));
    }

    /// <summary>Creates a subscription, its first invoice and the events Stripe sends for both.</summary>
    public Subscription CreateSubscription(
        Customer customer,
        List<(string PriceId, long? Quantity, Dictionary<string, string> Metadata)> items,
        DateTimeOffset? trialEnd,
        Dictionary<string, string> metadata,
        string paymentBehavior,
        bool cancelAtPeriodEnd,
        DateTimeOffset now,
        string itemsParam)
    {
        var prices = ValidateItems(items.Select(i => (i.PriceId, i.Quantity)).ToList(), itemsParam);
        var first = prices[0];
        var trialing = trialEnd is not null;
        var willPay = customer.Outcome == PaymentOutcome.Succeeds;
        if (!trialing && !willPay && paymentBehavior == "error_if_incomplete" && LicensedTotal(prices.Zip(items, (p, i) => (p, i.Quantity))) > 0)
        {
            throw new StripeApiException(402, "card_error", "Your card was declined.", null, "card_declined");
        }

        var sub = new Subscription
        {
            Id = Ids.New("sub_", 24),
            Sequence = NextSequence(),
            Created = now,
            CustomerId = customer.Id,
            Status = trialing ? "trialing" : "incomplete",
            Currency = first.Currency,
            Interval = first.Interval!,
            IntervalCount = first.IntervalCount,
            StartDate = now,
            PaymentBehavior = paymentBehavior,
            CancelAtPeriodEnd = cancelAtPeriodEnd,
        };
        sub.ApplyMetadata(metadata, false);
        for (var i = 0; i < items.Count; i++)
        {
            var item = new SubscriptionItem
            {
                Id = Ids.New("si_", 14),
                Sequence = NextSequence(),
                Created = now,
                SubscriptionId = sub.Id,
                PriceId = prices[i].Id,
                Quantity = prices[i].IsMetered ? null : items[i].Quantity ?? 1,
            };
            item.ApplyMetadata(items[i].Metadata, false);
            sub.Items.Add(item);
        }

        if (trialing)
        {
            sub.TrialStart = now;
            sub.TrialEnd = trialEnd;
            sub.BillingCycleAnchor = trialEnd!.Value;
            sub.PeriodIndex = -1;
            sub.CurrentPeriodStart = now;
            sub.CurrentPeriodEnd = trialEnd.Value;
        }
        else
        {
            sub.BillingCycleAnchor = now;
            sub.PeriodIndex = 0;
            sub.CurrentPeriodStart = now;
            sub.CurrentPeriodEnd = PeriodBoundary(sub, 1);
        }

        Subscriptions[sub.Id] = sub;

        // The first invoice: $0 for a trial, else the licensed items for the first period (paid in advance).
        var lines = trialing
            ? sub.Items.Select(i => TrialLine(sub, i)).ToList()
            : sub.Items.Where(i => !Prices[i.PriceId].IsMetered).Select(i => LicensedLine(sub, i, sub.CurrentPeriodStart, sub.CurrentPeriodEnd)).ToList();
        if (!trialing)
        {
            // Status reflects the charge that is about to happen, as Stripe's synchronous confirmation does.
            sub.Status = willPay || lines.Sum(l => l.Amount) == 0 ? "active" : "incomplete";
        }

        var invoice = NewInvoice(sub, "subscription_create", lines, sub.CurrentPeriodStart, sub.CurrentPeriodStart, now);
        sub.LatestInvoiceId = invoice.Id;
        Emit("customer.subscription.created", Render(sub), null, now);
        if (trialing && sub.TrialEnd!.Value - now <= TimeSpan.FromDays(3))
        {
            sub.TrialWillEndSent = true;
            Emit("customer.subscription.trial_will_end", Render(sub), null, now);
        }

        FinalizeAndCharge(invoice, now);
        return sub;
    }

    private List<Price> ValidateItems(List<(string PriceId, long? Quantity)> items, string itemsParam)
    {
        var prices = new List<Price>();
        for (var i = 0; i < items.Count; i++)
        {
            var price = FindPrice(items[i].PriceId, $"{itemsParam}[{i}][price]");
            if (price.Interval is null)
            {
                throw StripeApiException.Invalid(
                    $"The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.", $"{itemsParam}[{i}][price]");
            }

            if (!price.Active)
            {
                throw StripeApiException.Invalid($"The price specified is inactive. This field only accepts active prices.", $"{itemsParam}[{i}][price]");
            }

            if (price.IsMetered && items[i].Quantity is not null)
            {
                throw StripeApiException.Invalid(
                    $"Quantity should not be specified where usage_type is `metered`. Remove quantity from `{itemsParam}[{i}]`.", $"{itemsParam}[{i}][quantity]");
            }

            if (items[i].Quantity is < 0)
            {
                throw StripeApiException.Invalid("Invalid non-negative integer", $"{itemsParam}[{i}][quantity]");
            }

            if (prices.Count > 0 && (prices[0].Interval != price.Interval || prices[0].IntervalCount != price.IntervalCount || prices[0].Currency != price.Currency))
            {
                throw StripeApiException.Invalid(
                    "The price specified has a different billing interval or currency than the other items. All items must share one.", $"{itemsParam}[{i}][price]");
            }

            prices.Add(price);
        }

        return prices;
    }

    private static long LicensedTotal(IEnumerable<(Price Price, long? Quantity)> items) =>
        items.Where(i => !i.Price.IsMetered).Sum(i => (long)Math.Round(i.Price.UnitDecimal * (i.Quantity ?? 1), MidpointRounding.AwayFromZero));

    public DateTimeOffset PeriodBoundary(Subscription sub, int index) => sub.Interval switch
    {
        "day" => sub.BillingCycleAnchor.AddDays(index * sub.IntervalCount),
        "week" => sub.BillingCycleAnchor.AddDays(7 * index * sub.IntervalCount),
        "year" => sub.BillingCycleAnchor.AddYears(index * sub.IntervalCount),
        _ => sub.BillingCycleAnchor.AddMonths(index * sub.IntervalCount),
    };

    private JsonObject UpdateSubscription(string id, FormNode f)
    {
        var sub = FindSubscription(id);
        if (sub.IsEnded)
        {
            throw StripeApiException.Invalid("A canceled subscription can only update its cancellation_details and metadata.", null);
        }

        var before = Render(sub);
        var now = Now;
        var changes = f.List("items");
        var proration = ProrationBehavior(f);
        (List<InvoiceLine> Lines, DateTimeOffset ClosedStart, DateTimeOffset ClosedEnd)? dueNow = null;
        if (changes.Count > 0)
        {
            var billedBefore = SnapshotLicensed(sub);
            var working = sub.Items.Select(i => (Item: i, PriceId: i.PriceId, Quantity: i.Quantity, Deleted: false)).ToList();
            var added = new List<(string PriceId, long? Quantity, Dictionary<string, string> Metadata)>();
            foreach (var (index, node) in changes)
            {
                var param = $"items[{index}]";
                if (node.Str("id") is { Length: > 0 } itemId)
                {
                    var at = working.FindIndex(w => w.Item.Id == itemId);
                    if (at < 0)
                    {
                        throw StripeApiException.NotFound("subscription_item", itemId, $"{param}[id]");
                    }

                    var entry = working[at];
                    if (node.Bool("deleted", $"{param}[deleted]") == true)
                    {
                        entry.Deleted = true;
                    }

                    if (node.Str("price") is { Length: > 0 } newPrice)
                    {
                        FindPrice(newPrice, $"{param}[price]");
                        entry.PriceId = newPrice;
                        if (Prices[newPrice].IsMetered)
                        {
                            entry.Quantity = null;
                        }
                    }

                    if (node.Long("quantity", $"{param}[quantity]") is { } q)
                    {
                        if (Prices[entry.PriceId].IsMetered)
                        {
                            throw StripeApiException.Invalid(
                                $"Quantity should not be specified where usage_type is `metered`. Remove quantity from `{param}`.", $"{param}[quantity]");
                        }

                        entry.Quantity = q;
                    }

                    entry.Item.ApplyMetadata(node.Map("metadata"), false);
                    working[at] = entry;
                }
                else
                {
                    added.Add((node.Required("price", $"{param}[price]"), node.Long("quantity", $"{param}[quantity]"), node.Map("metadata")));
                }
            }

            var remaining = working.Where(w => !w.Deleted).ToList();
            var check = remaining.Select(w => (w.PriceId, Prices[w.PriceId].IsMetered ? (long?)null : w.Quantity)).Concat(added.Select(a => (a.PriceId, a.Quantity))).ToList();
            if (check.Count == 0)
            {
                throw StripeApiException.Invalid("A subscription must have at least one active item.", "items");
            }

            var prices = ValidateItems(check, "items");
            sub.Items.RemoveAll(i => working.Any(w => w.Deleted && w.Item.Id == i.Id));
            foreach (var w in remaining)
            {
                w.Item.PriceId = w.PriceId;
                w.Item.Quantity = Prices[w.PriceId].IsMetered ? null : w.Quantity ?? 1;
            }

            foreach (var a in added)
            {
                var item = new SubscriptionItem
                {
                    Id = Ids.New("si_", 14),
                    Sequence = NextSequence(),
                    Created = now,
                    SubscriptionId = sub.Id,
                    PriceId = a.PriceId,
                    Quantity = Prices[a.PriceId].IsMetered ? null : a.Quantity ?? 1,
                };
                item.ApplyMetadata(a.Metadata, false);
                sub.Items.Add(item);
            }

            dueNow = ProrateItemChange(sub, billedBefore, prices[0], proration, now);
        }

        if (f.Bool("cancel_at_period_end") is { } cancel)
        {
            sub.CancelAtPeriodEnd = cancel;
        }

        if (f.Str("trial_end") == "now" && sub.Status == "trialing")
        {
            sub.TrialEnd = now;
            sub.BillingCycleAnchor = now;
            sub.CurrentPeriodEnd = now;
        }

        sub.ApplyMetadata(f.Map("metadata"), f.Str("metadata") == string.Empty);
        var after = Render(sub);
        var previous = Diff(before, after);
        if (previous.Count > 0)
        {
            Emit("customer.subscription.updated", after, previous, now);
        }

        InvoiceItemChange(sub, dueNow, now);
        if (sub.Status == "trialing" && sub.TrialEnd == now)
        {
            EndTrial(sub, now);
        }

        return Render(sub, Expand(f));
    }

    private JsonObject ListSubscriptions(FormNode f)
    {
        IEnumerable<Subscription> all = Subscriptions.Values.OrderByDescending(s => s.Sequence);
        if (f.Str("customer") is { Length: > 0 } customer)
        {
            all = all.Where(s => s.CustomerId == customer);
        }

        if (f.Str("price") is { Length: > 0 } price)
        {
            all = all.Where(s => s.Items.Any(i => i.PriceId == price));
        }

        var status = NullIfEmpty(f.Str("status"));
        if (status is null)
        {
            // Stripe's default excludes canceled subscriptions.
            all = all.Where(s => s.Status != "canceled");
        }
        else if (status == "ended")
        {
            all = all.Where(s => s.IsEnded);
        }
        else if (status != "all")
        {
            if (status is not ("active" or "past_due" or "unpaid" or "canceled" or "incomplete" or "incomplete_expired" or "trialing" or "paused"))
            {
                throw StripeApiException.Invalid("Invalid status: must be one of active, past_due, unpaid, canceled, incomplete, incomplete_expired, trialing, paused, all, or ended", "status");
            }

            all = all.Where(s => s.Status == status);
        }

        var expand = Expand(f, list: true);
        return RenderList(all, s => s.Id, s => Render(s, expand), f, "/v1/subscriptions", "subscription");
    }

    private JsonObject CancelSubscriptionFromApi(string id, FormNode f)
    {
        var sub = FindSubscription(id);
        if (sub.IsEnded)
        {
            throw StripeApiException.Invalid($"No such subscription: '{id}'. It has already been canceled.", "id", "resource_missing");
        }

        CancelNow(sub, Now);
        return Render(sub, Expand(f));
    }

    public void CancelNow(Subscription sub, DateTimeOffset at)
    {
        var before = Render(sub);
        sub.Status = "canceled";
        sub.CanceledAt ??= at;
        sub.EndedAt = at;
        var after = Render(sub);
        Emit("customer.subscription.deleted", after, Diff(before, after), at);
    }
}
