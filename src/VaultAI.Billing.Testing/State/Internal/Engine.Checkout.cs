using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

internal sealed partial class Engine
{
    private static readonly ParameterSchema CheckoutCreate = new(
        "mode", "line_items[][price]", "line_items[][quantity]", "success_url", "cancel_url", "customer", "customer_email",
        "client_reference_id", "metadata[*]", "subscription_data[trial_period_days]", "subscription_data[metadata][*]",
        "allow_promotion_codes", "billing_address_collection", "payment_method_types[]", "expand[]", "locale");
    private static readonly ParameterSchema PortalCreate = new("customer", "return_url", "configuration", "locale", "expand[]");

    private JsonObject CreateCheckoutSession(FormNode f)
    {
        var mode = f.Required("mode");
        if (mode is not ("subscription" or "payment" or "setup"))
        {
            throw StripeApiException.Invalid("Invalid mode: must be one of payment, setup, or subscription", "mode");
        }

        if (mode != "subscription")
        {
            throw StripeApiException.Invalid("The emulator supports only mode=subscription.", "mode");
        }

        var successUrl = NullIfEmpty(f.Str("success_url"));
        var customerId = NullIfEmpty(f.Str("customer"));
        if (customerId is not null)
        {
            FindCustomer(customerId, "customer");
            if (f.Has("customer_email"))
            {
                throw StripeApiException.Invalid("You may only specify one of these parameters: customer, customer_email.", "customer_email");
            }
        }

        var lineItems = new List<(string PriceId, long? Quantity)>();
        foreach (var (index, node) in f.List("line_items"))
        {
            var priceId = node.Required("price", $"line_items[{index}][price]");
            var price = FindPrice(priceId, $"line_items[{index}][price]");
            var quantity = node.Long("quantity", $"line_items[{index}][quantity]");
            if (!price.IsMetered && quantity is null)
            {
                throw StripeApiException.Missing($"line_items[{index}][quantity]");
            }

            lineItems.Add((priceId, quantity));
        }

        if (lineItems.Count == 0)
        {
            throw StripeApiException.Missing("line_items");
        }

        ValidateItems(lineItems, "line_items");
        long? trialDays = null;
        Dictionary<string, string> subscriptionMetadata = [];
        if (f.Node("subscription_data") is { } subscriptionData)
        {
            trialDays = subscriptionData.Long("trial_period_days", "subscription_data[trial_period_days]");
            if (trialDays is < 1 or > 730)
            {
                throw StripeApiException.Invalid("subscription_data[trial_period_days] must be between 1 and 730.", "subscription_data[trial_period_days]");
            }

            subscriptionMetadata = subscriptionData.Map("metadata");
        }

        var id = Ids.New("cs_test_", 58);
        var session = new CheckoutSession
        {
            Id = id,
            Sequence = NextSequence(),
            Created = Now,
            Mode = mode,
            SuccessUrl = successUrl,
            CancelUrl = NullIfEmpty(f.Str("cancel_url")),
            CustomerId = customerId,
            CustomerEmail = NullIfEmpty(f.Str("customer_email")),
            ClientReferenceId = NullIfEmpty(f.Str("client_reference_id")),
            TrialPeriodDays = trialDays,
            ExpiresAt = Now.AddHours(24),
            Url = new Uri(BaseAddress, $"checkout/{id}").ToString(),
        };
        session.LineItems.AddRange(lineItems);
        session.ApplyMetadata(f.Map("metadata"), false);
        foreach (var (key, value) in subscriptionMetadata)
        {
            session.SubscriptionMetadata[key] = value;
        }

        CheckoutSessions[id] = session;
        return Render(session, Expand(f));
    }

    public CheckoutSession FindCheckoutSession(string id) =>
        CheckoutSessions.GetValueOrDefault(id) ?? throw StripeApiException.NotFound("checkout.session", id);

    /// <summary>Completes a checkout session as if the customer paid: customer (if none), subscription, event.</summary>
    /// <param name="id">The checkout session.</param>
    /// <param name="cardNumber">A test card the customer paid with (attached as the default payment method), or null.</param>
    public string CompleteCheckout(string id, string? cardNumber = null)
    {
        CatchUp();
        var session = CheckoutSessions.GetValueOrDefault(id) ?? throw new ArgumentException($"No such checkout session: '{id}'.", nameof(id));
        return InClockTime(ClockOf(session.CustomerId), () => CompleteCheckout(session, cardNumber));
    }

    private string CompleteCheckout(CheckoutSession session, string? cardNumber)
    {
        var id = session.Id;
        if (session.Status == "complete")
        {
            return session.SubscriptionId!;
        }

        var now = Now;
        if (session.Status != "open" || now >= session.ExpiresAt)
        {
            throw new InvalidOperationException($"Checkout session '{id}' is {session.Status} and cannot be completed.");
        }

        Customer customer;
        if (session.CustomerId is { } cid)
        {
            customer = Customers[cid];
        }
        else
        {
            customer = NewCustomer(session.CustomerEmail, null, [], now);
            Emit("customer.created", Render(customer), null, now);
            session.CustomerId = customer.Id;
        }

        if (cardNumber is not null)
        {
            AttachCard(customer, cardNumber, now);
        }

        var items = session.LineItems.Select(l => (l.PriceId, l.Quantity, new Dictionary<string, string>())).ToList();
        var trialEnd = session.TrialPeriodDays is { } days ? now.AddDays(days) : (DateTimeOffset?)null;
        var sub = CreateSubscription(customer, items, trialEnd, session.SubscriptionMetadata, "allow_incomplete", false, now, "line_items");
        session.SubscriptionId = sub.Id;
        session.Status = "complete";
        Emit("checkout.session.completed", Render(session), null, now);
        return sub.Id;
    }

    private JsonObject CreatePortalSession(FormNode f)
    {
        var customer = FindCustomer(f.Required("customer"), "customer");
        var id = Ids.New("bps_", 24);
        var session = new PortalSession
        {
            Id = id,
            Sequence = NextSequence(),
            Created = Now,
            CustomerId = customer.Id,
            ReturnUrl = NullIfEmpty(f.Str("return_url")),
            Url = new Uri(BaseAddress, $"portal/{id}").ToString(),
        };
        PortalSessions[id] = session;
        return Render(session);
    }

    /// <summary>The portal's "cancel at period end" button.</summary>
    public void PortalCancel(string portalId, string subscriptionId)
    {
        var session = PortalSessions.GetValueOrDefault(portalId) ?? throw StripeApiException.NotFound("billing_portal.session", portalId);
        var sub = FindSubscription(subscriptionId);
        if (sub.CustomerId != session.CustomerId || sub.IsEnded || sub.CancelAtPeriodEnd)
        {
            return;
        }

        var before = Render(sub);
        sub.CancelAtPeriodEnd = true;
        var after = Render(sub);
        Emit("customer.subscription.updated", after, Diff(before, after), InClockTime(ClockOf(sub.CustomerId), () => Now));
    }
}
