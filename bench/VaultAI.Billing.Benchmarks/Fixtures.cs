using System.Globalization;
using System.Text;

namespace VaultAI.Billing.Benchmarks;

/// <summary>Hand-written payloads shaped like what Stripe sends (field names and nesting, not real ids).</summary>
internal static class Fixtures
{
    public const long Created = 1_790_000_000;

    /// <summary>A subscription with one metered item (price, recurring, meter), a trial and metadata.</summary>
    public static string Subscription(string id = "sub_1BenchSubscription000001") => $$"""
    {
      "id": "{{id}}",
      "object": "subscription",
      "application": null,
      "application_fee_percent": null,
      "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
      "billing_cycle_anchor": {{Created + 345600}},
      "billing_thresholds": null,
      "cancel_at": null,
      "cancel_at_period_end": false,
      "canceled_at": null,
      "cancellation_details": { "comment": null, "feedback": null, "reason": null },
      "collection_method": "charge_automatically",
      "created": {{Created}},
      "currency": "eur",
      "customer": "cus_BenchCustomer0001",
      "days_until_due": null,
      "default_payment_method": null,
      "default_source": null,
      "default_tax_rates": [],
      "description": null,
      "discounts": [],
      "ended_at": null,
      "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
      "items": {
        "object": "list",
        "data": [
          {
            "id": "si_BenchItem00000001",
            "object": "subscription_item",
            "billing_thresholds": null,
            "created": {{Created}},
            "current_period_end": {{Created + 345600}},
            "current_period_start": {{Created}},
            "discounts": [],
            "metadata": {},
            "plan": {
              "id": "price_1BenchMeteredPrice0001",
              "object": "plan",
              "active": true,
              "amount": null,
              "amount_decimal": "500",
              "billing_scheme": "per_unit",
              "created": {{Created - 86400}},
              "currency": "eur",
              "interval": "month",
              "interval_count": 1,
              "livemode": false,
              "metadata": {},
              "meter": "mtr_BenchMeter0000000001",
              "nickname": null,
              "product": "prod_BenchProduct0001",
              "tiers_mode": null,
              "transform_usage": null,
              "trial_period_days": null,
              "usage_type": "metered"
            },
            "price": {
              "id": "price_1BenchMeteredPrice0001",
              "object": "price",
              "active": true,
              "billing_scheme": "per_unit",
              "created": {{Created - 86400}},
              "currency": "eur",
              "custom_unit_amount": null,
              "livemode": false,
              "lookup_key": "self-hosted-monthly",
              "metadata": { "plan": "self-hosted" },
              "nickname": null,
              "product": "prod_BenchProduct0001",
              "recurring": {
                "interval": "month",
                "interval_count": 1,
                "meter": "mtr_BenchMeter0000000001",
                "trial_period_days": null,
                "usage_type": "metered"
              },
              "tax_behavior": "unspecified",
              "tiers_mode": null,
              "transform_quantity": null,
              "type": "recurring",
              "unit_amount": null,
              "unit_amount_decimal": "500"
            },
            "quantity": 1,
            "subscription": "{{id}}",
            "tax_rates": []
          }
        ],
        "has_more": false,
        "total_count": 1,
        "url": "/v1/subscription_items?subscription={{id}}"
      },
      "latest_invoice": "in_BenchInvoice0000001",
      "livemode": false,
      "metadata": { "organization_id": "6f1c1a52-3f8e-4a77-9d3c-2b0f7f0e9a11", "deployment_type": "on-premise", "plan_type": "self-hosted" },
      "next_pending_invoice_item_invoice": null,
      "on_behalf_of": null,
      "pause_collection": null,
      "payment_settings": { "payment_method_options": null, "payment_method_types": null, "save_default_payment_method": "off" },
      "pending_invoice_item_interval": null,
      "pending_setup_intent": null,
      "pending_update": null,
      "schedule": null,
      "start_date": {{Created}},
      "status": "active",
      "test_clock": null,
      "transfer_data": null,
      "trial_end": {{Created + 345600}},
      "trial_settings": { "end_behavior": { "missing_payment_method": "cancel" } },
      "trial_start": {{Created}}
    }
    """;

    /// <summary>A <c>customer.subscription.updated</c> event around <see cref="Subscription"/>, with previous attributes.</summary>
    public static byte[] SubscriptionUpdatedEvent() => Encoding.UTF8.GetBytes($$"""
    {
      "id": "evt_1BenchEvent000000000001",
      "object": "event",
      "api_version": "2026-10-28.endive",
      "created": {{Created + 345601}},
      "data": {
        "object": {{Subscription()}},
        "previous_attributes": { "status": "trialing" }
      },
      "livemode": false,
      "pending_webhooks": 1,
      "request": { "id": null, "idempotency_key": null },
      "type": "customer.subscription.updated"
    }
    """);

    public static string MeterEvent(string identifier) => $$"""
    {
      "object": "billing.meter_event",
      "created": {{Created}},
      "event_name": "vaultai_active_users",
      "identifier": "{{identifier}}",
      "livemode": false,
      "payload": { "stripe_customer_id": "cus_BenchCustomer0001", "value": "42" },
      "timestamp": {{Created}}
    }
    """;

    /// <summary>A JSON body of exactly <paramref name="size"/> bytes (a webhook-like object padded with a string field).</summary>
    public static byte[] PayloadOfSize(int size)
    {
        const string head = "{\"id\":\"evt_bench\",\"object\":\"event\",\"type\":\"invoice.paid\",\"pad\":\"";
        const string tail = "\"}";
        var padding = size - head.Length - tail.Length;
        var builder = new StringBuilder(size).Append(head);
        for (var i = 0; i < padding; i++)
        {
            builder.Append((char)('a' + (i % 26)));
        }

        var bytes = Encoding.UTF8.GetBytes(builder.Append(tail).ToString());
        return bytes.Length == size ? bytes : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"payload is {bytes.Length} bytes, wanted {size}"));
    }
}
