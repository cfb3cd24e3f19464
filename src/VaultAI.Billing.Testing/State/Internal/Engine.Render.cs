using System.Text.Json.Nodes;

namespace VaultAI.Billing.Testing.State.Internal;

internal sealed partial class Engine
{
    public JsonObject Render(Customer c) => new()
    {
        ["id"] = c.Id,
        ["object"] = "customer",
        ["address"] = null,
        ["balance"] = c.Balance,
        ["created"] = Unix(c.Created),
        ["currency"] = c.Currency,
        ["default_source"] = null,
        ["delinquent"] = Invoices.Values.Any(i => i.CustomerId == c.Id && i.Status == "open" && i.AttemptCount > 0),
        ["description"] = c.Description,
        ["email"] = c.Email,
        ["invoice_prefix"] = c.Id.Length > 12 ? c.Id[4..12].ToUpperInvariant() : "EMU",
        ["invoice_settings"] = new JsonObject
        {
            ["custom_fields"] = null,
            ["default_payment_method"] = c.DefaultPaymentMethod,
            ["footer"] = null,
            ["rendering_options"] = null,
        },
        ["livemode"] = false,
        ["metadata"] = MetadataJson(c.Metadata),
        ["name"] = c.Name,
        ["phone"] = c.Phone,
        ["preferred_locales"] = new JsonArray(),
        ["tax_exempt"] = "none",
        ["test_clock"] = c.TestClockId,
    };

    public JsonObject Render(Product p) => new()
    {
        ["id"] = p.Id,
        ["object"] = "product",
        ["active"] = p.Active,
        ["created"] = Unix(p.Created),
        ["description"] = p.Description,
        ["livemode"] = false,
        ["metadata"] = MetadataJson(p.Metadata),
        ["name"] = p.Name,
        ["type"] = "service",
        ["updated"] = Unix(p.Created),
    };

    public JsonObject Render(Price p)
    {
        var json = new JsonObject
        {
            ["id"] = p.Id,
            ["object"] = "price",
            ["active"] = p.Active,
            ["billing_scheme"] = "per_unit",
            ["created"] = Unix(p.Created),
            ["currency"] = p.Currency,
            ["livemode"] = false,
            ["lookup_key"] = p.LookupKey,
            ["metadata"] = MetadataJson(p.Metadata),
            ["nickname"] = p.Nickname,
            ["product"] = p.ProductId,
            ["recurring"] = p.Interval is null ? null : new JsonObject
            {
                ["interval"] = p.Interval,
                ["interval_count"] = p.IntervalCount,
                ["meter"] = p.MeterId,
                ["usage_type"] = p.UsageType,
            },
            ["tax_behavior"] = "unspecified",
            ["type"] = p.Interval is null ? "one_time" : "recurring",
            ["unit_amount"] = p.UnitAmount ?? (p.UnitAmountDecimal is { } d && d == decimal.Truncate(d) ? (long)d : null),
            ["unit_amount_decimal"] = p.UnitAmountDecimal is { } u ? FormatDecimal(u) : p.UnitAmount is { } a ? FormatDecimal(a) : null,
        };
        RenderTiering(p, json);
        return json;
    }

    public JsonObject Render(Meter m) => new()
    {
        ["id"] = m.Id,
        ["object"] = "billing.meter",
        ["created"] = Unix(m.Created),
        ["customer_mapping"] = new JsonObject { ["event_payload_key"] = m.CustomerKey, ["type"] = "by_id" },
        ["default_aggregation"] = new JsonObject { ["formula"] = m.Formula },
        ["display_name"] = m.DisplayName,
        ["event_name"] = m.EventName,
        ["event_time_window"] = m.EventTimeWindow,
        ["livemode"] = false,
        ["status"] = "active",
        ["status_transitions"] = new JsonObject { ["deactivated_at"] = null },
        ["updated"] = Unix(m.Created),
        ["value_settings"] = new JsonObject { ["event_payload_key"] = m.ValueKey },
    };

    public JsonObject Render(SubscriptionItem item, Subscription s)
    {
        var price = Prices[item.PriceId];
        var json = new JsonObject
        {
            ["id"] = item.Id,
            ["object"] = "subscription_item",
            ["created"] = Unix(item.Created),
            ["current_period_end"] = Unix(s.CurrentPeriodEnd),
            ["current_period_start"] = Unix(s.CurrentPeriodStart),
            ["metadata"] = MetadataJson(item.Metadata),
            ["price"] = Render(price),
            ["subscription"] = s.Id,
        };
        if (!price.IsMetered)
        {
            json["quantity"] = item.Quantity ?? 1;
        }

        return json;
    }

    public JsonObject Render(Subscription s, ISet<string>? expand = null)
    {
        var items = new JsonArray();
        foreach (var item in s.Items)
        {
            items.Add(Render(item, s));
        }

        JsonNode? latestInvoice = s.LatestInvoiceId;
        if (expand?.Contains("latest_invoice") == true && s.LatestInvoiceId is { } invId && Invoices.TryGetValue(invId, out var inv))
        {
            latestInvoice = Render(inv);
        }

        JsonNode? customer = s.CustomerId;
        if (expand?.Contains("customer") == true && Customers.TryGetValue(s.CustomerId, out var cus))
        {
            customer = Render(cus);
        }

        return new JsonObject
        {
            ["id"] = s.Id,
            ["object"] = "subscription",
            ["billing_cycle_anchor"] = Unix(s.BillingCycleAnchor),
            ["cancel_at"] = s.CancelAtPeriodEnd ? Unix(s.CurrentPeriodEnd) : null,
            ["cancel_at_period_end"] = s.CancelAtPeriodEnd,
            ["canceled_at"] = Unix(s.CanceledAt),
            ["collection_method"] = "charge_automatically",
            ["created"] = Unix(s.Created),
            ["currency"] = s.Currency,
            ["customer"] = customer,
            ["ended_at"] = Unix(s.EndedAt),
            ["items"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = items,
                ["has_more"] = false,
                ["url"] = $"/v1/subscription_items?subscription={s.Id}",
            },
            ["latest_invoice"] = latestInvoice,
            ["livemode"] = false,
            ["metadata"] = MetadataJson(s.Metadata),
            ["start_date"] = Unix(s.StartDate),
            ["status"] = s.Status,
            ["test_clock"] = Customers.TryGetValue(s.CustomerId, out var owner) ? owner.TestClockId : null,
            ["trial_end"] = Unix(s.TrialEnd),
            ["trial_start"] = Unix(s.TrialStart),
        };
    }

    public JsonObject Render(Invoice i, ISet<string>? expand = null, string? idOverride = null)
    {
        var lines = new JsonArray();
        foreach (var line in i.Lines)
        {
            var price = Prices[line.PriceId];
            lines.Add(new JsonObject
            {
                ["id"] = line.Id,
                ["object"] = "line_item",
                ["amount"] = line.Amount,
                ["currency"] = i.Currency,
                ["description"] = line.Description,
                ["invoice"] = idOverride ?? i.Id,
                ["livemode"] = false,
                ["metadata"] = new JsonObject(),
                ["parent"] = line.SubscriptionItemId is null ? null : new JsonObject
                {
                    ["subscription_item_details"] = new JsonObject
                    {
                        ["proration"] = line.Proration,
                        ["subscription"] = i.SubscriptionId,
                        ["subscription_item"] = line.SubscriptionItemId,
                    },
                    ["type"] = "subscription_item_details",
                },
                ["period"] = new JsonObject { ["end"] = Unix(line.PeriodEnd), ["start"] = Unix(line.PeriodStart) },
                ["pricing"] = new JsonObject
                {
                    ["price_details"] = new JsonObject { ["price"] = price.Id, ["product"] = price.ProductId },
                    ["type"] = "price_details",
                    ["unit_amount_decimal"] = FormatDecimal(line.UnitAmountDecimal ?? price.UnitDecimal),
                },
                ["quantity"] = line.Quantity,
                ["subscription"] = i.SubscriptionId,
            });
        }

        JsonNode? customer = i.CustomerId;
        if (expand?.Contains("customer") == true && Customers.TryGetValue(i.CustomerId, out var cus))
        {
            customer = Render(cus);
        }

        var total = i.AmountDue;
        return new JsonObject
        {
            ["id"] = idOverride ?? i.Id,
            ["object"] = "invoice",
            ["amount_due"] = total,
            ["amount_paid"] = i.AmountPaid,
            ["amount_remaining"] = i.Status is "paid" or "void" ? 0 : total,
            ["attempt_count"] = i.AttemptCount,
            ["attempted"] = i.AttemptCount > 0,
            ["auto_advance"] = i.Status is "draft" or "open",
            ["billing_reason"] = i.BillingReason,
            ["collection_method"] = "charge_automatically",
            ["created"] = Unix(i.Created),
            ["currency"] = i.Currency,
            ["customer"] = customer,
            ["customer_email"] = Customers.TryGetValue(i.CustomerId, out var c) ? c.Email : null,
            ["customer_name"] = c?.Name,
            ["due_date"] = null,
            ["effective_at"] = Unix(i.FinalizedAt),
            ["ending_balance"] = i.FinalizedAt is null ? null : i.StartingBalance - i.AppliedBalance,
            ["hosted_invoice_url"] = idOverride is null && i.FinalizedAt is not null ? new Uri(BaseAddress, $"invoice/{i.Id}").ToString() : null,
            ["invoice_pdf"] = idOverride is null && i.FinalizedAt is not null ? new Uri(BaseAddress, $"invoice/{i.Id}/pdf").ToString() : null,
            ["lines"] = new JsonObject
            {
                ["object"] = "list",
                ["data"] = lines,
                ["has_more"] = false,
                ["url"] = $"/v1/invoices/{idOverride ?? i.Id}/lines",
            },
            ["livemode"] = false,
            ["metadata"] = MetadataJson(i.Metadata),
            ["next_payment_attempt"] = Unix(i.NextPaymentAttempt),
            ["number"] = i.Number,
            ["parent"] = i.SubscriptionId is null ? null : new JsonObject
            {
                ["quote_details"] = null,
                ["subscription_details"] = new JsonObject
                {
                    ["metadata"] = Subscriptions.TryGetValue(i.SubscriptionId, out var s) ? MetadataJson(s.Metadata) : new JsonObject(),
                    ["subscription"] = i.SubscriptionId,
                },
                ["type"] = "subscription_details",
            },
            ["period_end"] = Unix(i.PeriodEnd),
            ["period_start"] = Unix(i.PeriodStart),
            ["status"] = i.Status,
            ["status_transitions"] = new JsonObject
            {
                ["finalized_at"] = Unix(i.FinalizedAt),
                ["marked_uncollectible_at"] = null,
                ["paid_at"] = Unix(i.PaidAt),
                ["voided_at"] = null,
            },
            ["starting_balance"] = i.StartingBalance,
            ["subtotal"] = i.Total,
            ["subtotal_excluding_tax"] = i.Total,
            ["test_clock"] = c?.TestClockId,
            ["total"] = i.Total,
            ["total_excluding_tax"] = i.Total,
        };
    }

    public JsonObject Render(CheckoutSession cs, ISet<string>? expand = null)
    {
        JsonNode? customer = cs.CustomerId;
        if (expand?.Contains("customer") == true && cs.CustomerId is { } cid && Customers.TryGetValue(cid, out var cus))
        {
            customer = Render(cus);
        }

        JsonNode? subscription = cs.SubscriptionId;
        if (expand?.Contains("subscription") == true && cs.SubscriptionId is { } sid && Subscriptions.TryGetValue(sid, out var sub))
        {
            subscription = Render(sub);
        }

        // What the first invoice charges: licensed items in advance, nothing during a trial, usage later.
        var amount = cs.TrialPeriodDays is > 0 ? 0 : cs.LineItems
            .Where(l => Prices.TryGetValue(l.PriceId, out var price) && !price.IsMetered)
            .Sum(l => (long)Math.Round(Prices[l.PriceId].UnitDecimal * (l.Quantity ?? 1), MidpointRounding.AwayFromZero));
        return new JsonObject
        {
            ["id"] = cs.Id,
            ["object"] = "checkout.session",
            ["amount_subtotal"] = amount,
            ["amount_total"] = amount,
            ["cancel_url"] = cs.CancelUrl,
            ["client_reference_id"] = cs.ClientReferenceId,
            ["created"] = Unix(cs.Created),
            ["currency"] = cs.LineItems.Count > 0 && Prices.TryGetValue(cs.LineItems[0].PriceId, out var p) ? p.Currency : null,
            ["customer"] = customer,
            ["customer_email"] = cs.CustomerEmail,
            ["expires_at"] = Unix(cs.ExpiresAt),
            ["livemode"] = false,
            ["metadata"] = MetadataJson(cs.Metadata),
            ["mode"] = cs.Mode,
            ["payment_status"] = cs.Status == "complete" ? "paid" : "unpaid",
            ["status"] = cs.Status,
            ["subscription"] = subscription,
            ["success_url"] = cs.SuccessUrl,
            ["url"] = cs.Status == "open" ? cs.Url : null,
        };
    }

    public JsonObject Render(PortalSession ps) => new()
    {
        ["id"] = ps.Id,
        ["object"] = "billing_portal.session",
        ["configuration"] = "bpc_emulator",
        ["created"] = Unix(ps.Created),
        ["customer"] = ps.CustomerId,
        ["livemode"] = false,
        ["locale"] = null,
        ["return_url"] = ps.ReturnUrl,
        ["url"] = ps.Url,
    };
}
