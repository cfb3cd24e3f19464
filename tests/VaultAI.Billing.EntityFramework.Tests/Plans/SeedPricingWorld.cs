using Microsoft.Extensions.DependencyInjection;
using Stripe;
using Stripe.Billing;
using Stripe.TestHelpers;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Plans;

/// <summary>
/// An emulator, a billing host on PostgreSQL, and helpers to build the seeds' Stripe prices through Stripe.net, link an
/// organization whose customer lives on a Stripe test clock, send it usage, and move its clock a billing period on.
/// </summary>
internal sealed class SeedPricingWorld : IAsyncDisposable
{
    private SeedPricingWorld(StripeEmulator stripe, BillingTestHost host)
    {
        Stripe = stripe;
        Host = host;
    }

    public StripeEmulator Stripe { get; }

    public BillingTestHost Host { get; }

    public StripeClient Client => Host.Services.GetRequiredService<StripeClient>();

    /// <summary>Starts at the top of an hour, so the first roll-up window starts with the first billing period.</summary>
    public static async Task<SeedPricingWorld> StartAsync(Func<StripeClient, Task<Action<VaultAIBillingOptions>>> catalog)
    {
        var stripe = await StripeEmulator.StartAsync();
        var now = stripe.Clock.GetUtcNow();
        stripe.Clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromTicks(now.UtcTicks % TimeSpan.TicksPerHour));
        var setup = new StripeClient(new StripeClientOptions { ApiKey = stripe.ApiKey, ApiBase = stripe.BaseAddress.ToString().TrimEnd('/') });
        var configure = await catalog(setup);

        var host = await BillingTestHost.StartAsync(stripe, "price_unused", configure: configure);
        return new SeedPricingWorld(stripe, host);
    }

    public static async Task<string> MeterAsync(StripeClient stripe, string eventName, string formula) =>
        (await stripe.V1.Billing.Meters.CreateAsync(new MeterCreateOptions
        {
            DisplayName = eventName,
            EventName = eventName,
            DefaultAggregation = new MeterDefaultAggregationOptions { Formula = formula },
            CustomerMapping = new MeterCustomerMappingOptions { Type = "by_id", EventPayloadKey = "stripe_customer_id" },
            ValueSettings = new MeterValueSettingsOptions { EventPayloadKey = "value" },
        })).Id;

    public static async Task<string> ProductAsync(StripeClient stripe, string name) =>
        (await stripe.V1.Products.CreateAsync(new ProductCreateOptions { Name = name })).Id;

    public static async Task<string> LicensedPriceAsync(StripeClient stripe, string product, string currency, long amount, string interval = "month") =>
        (await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Product = product,
            Currency = currency,
            UnitAmount = amount,
            Recurring = new PriceRecurringOptions { Interval = interval },
        })).Id;

    public static async Task<string> MeteredPriceAsync(StripeClient stripe, string product, string currency, string meter, decimal amountPerSmallestUnit) =>
        (await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Product = product,
            Currency = currency,
            UnitAmountDecimal = amountPerSmallestUnit,
            Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "metered", Meter = meter },
        })).Id;

    /// <summary>A metered graduated price: the first <paramref name="included"/> smallest units free, then a unit amount each.</summary>
    public static async Task<string> IncludedThenOverageAsync(StripeClient stripe, string product, string currency, string meter, long included, decimal amountPerSmallestUnit) =>
        (await stripe.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Product = product,
            Currency = currency,
            BillingScheme = "tiered",
            TiersMode = "graduated",
            Tiers =
            [
                new PriceTierOptions { UpTo = included, UnitAmountDecimal = 0m },
                new PriceTierOptions { UpTo = PriceTierUpTo.Inf, UnitAmountDecimal = amountPerSmallestUnit },
            ],
            Recurring = new PriceRecurringOptions { Interval = "month", UsageType = "metered", Meter = meter },
        })).Id;

    /// <summary>Registers an organization whose Stripe customer is on a new test clock, then links it through the admin route.</summary>
    public async Task<(Guid OrganizationId, string Token, string CustomerId, string ClockId)> LinkOnTestClockAsync(string planKey, string? billingInterval = null, int? trialDays = 0)
    {
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(Host.Client, orgId);
        var clock = await Client.V1.TestHelpers.TestClocks.CreateAsync(new TestClockCreateOptions { FrozenTime = Stripe.Clock.GetUtcNow().UtcDateTime, Name = planKey });
        var customer = await Client.V1.Customers.CreateAsync(new CustomerCreateOptions
        {
            Email = "billing@acme.example",
            TestClock = clock.Id,
            PaymentMethod = "pm_card_visa",
            InvoiceSettings = new CustomerInvoiceSettingsOptions { DefaultPaymentMethod = "pm_card_visa" },
            Metadata = new Dictionary<string, string> { ["organization_id"] = orgId.ToString() },
        });
        var interval = billingInterval is null ? "" : $$""","billing_interval":"{{billingInterval}}" """;
        var trial = trialDays is null ? "" : $$""","trial_days":{{trialDays}}""";
        using var link = await Host.Admin.PostAsync(
            $"/api/admin/organizations/{orgId}/link",
            InstanceCalls.Json($$"""{"admin_email":"billing@acme.example","deployment_type":"managed-cloud","plan_type":"{{planKey}}"{{interval}}{{trial}}}"""));
        Assert.True(link.IsSuccessStatusCode, await link.Content.ReadAsStringAsync());
        return (orgId, token, customer.Id, clock.Id);
    }

    /// <summary>
    /// Records usage in process once the host's clock has reached it, lets the roll-up windows close, moves the
    /// customer's test clock to the same time (Stripe takes meter events up to 5 minutes ahead of it) and drains the
    /// outbox to Stripe.
    /// </summary>
    public async Task RecordAndSendAsync(Guid organizationId, string clockId, params UsageEvent[] events)
    {
        if (events.Length > 0)
        {
            var latest = events.Max(e => e.Timestamp);
            if (latest > Stripe.Clock.GetUtcNow())
            {
                Stripe.Clock.Advance(latest - Stripe.Clock.GetUtcNow() + TimeSpan.FromMinutes(1));
            }

            var result = await Host.Services.GetRequiredService<IUsageRecorder>().RecordAsync(organizationId, events);
            Assert.Equal(events.Length, result.Accepted);
        }

        await SendAsync(clockId);
    }

    public async Task SendAsync(string clockId)
    {
        Stripe.Clock.Advance(TimeSpan.FromHours(2));
        var clock = await Client.V1.TestHelpers.TestClocks.GetAsync(clockId);
        await AdvanceAsync(clockId, Stripe.Clock.GetUtcNow().UtcDateTime - clock.FrozenTime);
        var dispatcher = Host.Services.GetRequiredService<IMeterEventDispatcher>();
        while (await dispatcher.DispatchOnceAsync() > 0)
        {
        }
    }

    /// <summary>Advances a test clock through Stripe.net and waits until Stripe reports it ready.</summary>
    public async Task AdvanceAsync(string clockId, TimeSpan by)
    {
        var clock = await Client.V1.TestHelpers.TestClocks.GetAsync(clockId);
        await Client.V1.TestHelpers.TestClocks.AdvanceAsync(clockId, new TestClockAdvanceOptions { FrozenTime = clock.FrozenTime + by });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((await Client.V1.TestHelpers.TestClocks.GetAsync(clockId)).Status != "ready")
        {
            Assert.True(DateTime.UtcNow < deadline, "the test clock did not become ready");
            await Task.Delay(20);
        }
    }

    /// <summary>Advances a test clock to a point in time.</summary>
    public async Task AdvanceToAsync(string clockId, DateTimeOffset to)
    {
        var clock = await Client.V1.TestHelpers.TestClocks.GetAsync(clockId);
        await AdvanceAsync(clockId, to.UtcDateTime - clock.FrozenTime);
    }

    /// <summary>The customer's invoices, oldest first, as Stripe.net reads them.</summary>
    public async Task<List<Invoice>> InvoicesAsync(string customerId)
    {
        var list = await Client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = customerId, Limit = 100 });
        return list.Data.OrderBy(i => i.Created).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}
