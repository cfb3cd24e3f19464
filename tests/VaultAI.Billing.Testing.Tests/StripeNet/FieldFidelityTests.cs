using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using Newtonsoft.Json;
using Stripe;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

/// <summary>Every field the emulator renders must be one Stripe.net 53.1.0 knows, at the same place and of a compatible shape.</summary>
public class FieldFidelityTests
{
    private static readonly DateTimeOffset Start = new(2026, 8, 1, 0, 0, 0, TimeSpan.Zero);

    // Rendered on purpose although Stripe (since 2025-03-31.basil) and Stripe.net only have them on the items:
    // existing emulator tests read them; see the README.
    private static readonly HashSet<string> KnownExtras = [];

    [Fact]
    public async Task RenderedResources_HaveOnlyFieldsStripeNetKnows()
    {
        await using var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new FakeTimeProvider(Start) });
        var client = StripeNetClient.For(stripe);
        using var http = new StripeHttp(stripe);
        var clock = await client.V1.TestHelpers.TestClocks.CreateAsync(new Stripe.TestHelpers.TestClockCreateOptions { FrozenTime = Start.UtcDateTime });
        var customer = await client.V1.Customers.CreateAsync(new CustomerCreateOptions { Email = "f@example.com", TestClock = clock.Id, Metadata = new() { ["k"] = "v" } });
        var meter = await client.V1.Billing.Meters.CreateAsync(new Stripe.Billing.MeterCreateOptions
        {
            DisplayName = "API calls",
            EventName = "api_calls",
            DefaultAggregation = new Stripe.Billing.MeterDefaultAggregationOptions { Formula = "sum" },
        });
        var product = await client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "Pro" });
        var licensed = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "usd", UnitAmount = 900, Product = product.Id, Recurring = new() { Interval = "month" }, LookupKey = "pro" });
        var metered = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "usd", UnitAmountDecimal = 0.5m, Product = product.Id, Recurring = new() { Interval = "month", UsageType = "metered", Meter = meter.Id } });
        var subscription = await client.V1.Subscriptions.CreateAsync(new SubscriptionCreateOptions
        {
            Customer = customer.Id,
            Items = [new SubscriptionItemOptions { Price = licensed.Id }, new SubscriptionItemOptions { Price = metered.Id }],
        });
        var checkout = await client.V1.Checkout.Sessions.CreateAsync(new Stripe.Checkout.SessionCreateOptions
        {
            Mode = "subscription",
            Customer = customer.Id,
            LineItems = [new Stripe.Checkout.SessionLineItemOptions { Price = licensed.Id, Quantity = 1 }],
            SuccessUrl = "https://example.com/ok",
        });
        var portal = await client.V1.BillingPortal.Sessions.CreateAsync(new Stripe.BillingPortal.SessionCreateOptions { Customer = customer.Id, ReturnUrl = "https://example.com" });
        var meterEvent = await http.PostAsync("/v1/billing/meter_events", $"event_name=api_calls&payload[stripe_customer_id]={customer.Id}&payload[value]=3");
        var session = await http.PostAsync("/v2/billing/meter_event_session", string.Empty);
        var end = Start.AddDays(1).ToUnixTimeSeconds();

        var problems = new List<string>();
        async Task CheckAsync<T>(string pathAndQuery)
        {
            var response = await http.GetAsync(pathAndQuery);
            Assert.True(response.Status == System.Net.HttpStatusCode.OK, $"{pathAndQuery}: {response.Raw}");
            Walk(response.Json, typeof(T), typeof(T).Name, problems);
        }

        await CheckAsync<Customer>($"/v1/customers/{customer.Id}");
        await CheckAsync<StripeSearchResult<Customer>>("/v1/customers/search?query=email%3A%27f%40example.com%27");
        await CheckAsync<Product>($"/v1/products/{product.Id}");
        await CheckAsync<StripeList<Price>>("/v1/prices?limit=10");
        await CheckAsync<Stripe.Billing.Meter>($"/v1/billing/meters/{meter.Id}");
        await CheckAsync<StripeList<Stripe.Billing.MeterEventSummary>>($"/v1/billing/meters/{meter.Id}/event_summaries?customer={customer.Id}&start_time={Start.ToUnixTimeSeconds()}&end_time={end}");
        await CheckAsync<Subscription>($"/v1/subscriptions/{subscription.Id}?expand[0]=latest_invoice&expand[1]=customer");
        await CheckAsync<StripeList<Subscription>>("/v1/subscriptions?status=all");
        await CheckAsync<StripeList<Invoice>>("/v1/invoices?expand[0]=data.customer");
        await CheckAsync<Stripe.Checkout.Session>($"/v1/checkout/sessions/{checkout.Id}");
        await CheckAsync<StripeList<Event>>("/v1/events?limit=100");
        await CheckAsync<Stripe.TestHelpers.TestClock>($"/v1/test_helpers/test_clocks/{clock.Id}");
        Walk((JsonObject)JsonNode.Parse(JsonConvert.SerializeObject(portal))!, typeof(Stripe.BillingPortal.Session), "BillingPortal.Session", problems);
        Walk(meterEvent.Json, typeof(Stripe.Billing.MeterEvent), "MeterEvent", problems);
        Walk(session.Json, typeof(Stripe.V2.Billing.MeterEventSession), "MeterEventSession", problems);
        var preview = await http.PostAsync("/v1/invoices/create_preview", $"customer={customer.Id}");
        Walk(preview.Json, typeof(Invoice), "Invoice", problems);

        var unknown = problems.Distinct().Except(KnownExtras).ToList();
        Assert.True(unknown.Count == 0, "Fields Stripe.net does not know: " + string.Join(", ", unknown));
    }

    /// <summary>Walks a JSON object alongside the Stripe.net type that deserializes it, recording unknown fields.</summary>
    private static void Walk(JsonObject json, Type type, string where, List<string> problems)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyAttribute>()?.PropertyName))
            .Where(p => p.Name is not null)
            .ToDictionary(p => p.Name!, p => p.Property.PropertyType);
        foreach (var (key, value) in json)
        {
            if (!properties.TryGetValue(key, out var propertyType))
            {
                problems.Add($"{where}.{key}");
                continue;
            }

            if (type == typeof(EventData) && key == "object" && value is JsonObject dataObject)
            {
                var objectType = dataObject["object"]?.GetValue<string>() switch
                {
                    "customer" => typeof(Customer),
                    "subscription" => typeof(Subscription),
                    "invoice" => typeof(Invoice),
                    "price" => typeof(Price),
                    "product" => typeof(Product),
                    "checkout.session" => typeof(Stripe.Checkout.Session),
                    "test_helpers.test_clock" => typeof(Stripe.TestHelpers.TestClock),
                    var other => throw new InvalidOperationException($"No Stripe.net type mapped for event data object '{other}'."),
                };
                Walk(dataObject, objectType, objectType.Name, problems);
                continue;
            }

            if (value is null || key is "metadata" || (type == typeof(EventData) && key is "previous_attributes"))
            {
                continue;
            }

            WalkValue(value, propertyType, $"{type.Name}", key, problems);
        }
    }

    private static void WalkValue(JsonNode value, Type propertyType, string where, string key, List<string> problems)
    {
        var target = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
        if (target.IsGenericType && target.GetGenericTypeDefinition().Name.StartsWith("IExpandableField", StringComparison.Ordinal) ||
            target.IsGenericType && target.GetGenericTypeDefinition().Name.StartsWith("ExpandableField", StringComparison.Ordinal))
        {
            if (value is JsonObject expanded)
            {
                Walk(expanded, target.GetGenericArguments()[0], target.GetGenericArguments()[0].Name, problems);
            }

            return;
        }

        switch (value)
        {
            case JsonObject obj when typeof(IDictionary).IsAssignableFrom(target):
                return;
            case JsonObject obj when !target.IsPrimitive && target != typeof(string):
                Walk(obj, target, target.Name, problems);
                return;
            case JsonObject:
                problems.Add($"{where}.{key} is an object, Stripe.net expects {target.Name}");
                return;
            case JsonArray array when target.IsGenericType && typeof(IEnumerable).IsAssignableFrom(target):
                var element = target.GetGenericArguments()[0];
                foreach (var item in array)
                {
                    if (item is JsonObject itemObject && element != typeof(string))
                    {
                        Walk(itemObject, element, element.Name, problems);
                    }
                }

                return;
            case JsonArray:
                problems.Add($"{where}.{key} is an array, Stripe.net expects {target.Name}");
                return;
        }
    }
}
