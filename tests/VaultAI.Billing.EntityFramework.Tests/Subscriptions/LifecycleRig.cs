using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stripe;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Subscriptions;

/// <summary>
/// A billing host on PostgreSQL and the emulator with three per-seat plans: <c>basic</c> (20 EUR a seat a month),
/// <c>pro</c> (50 EUR a month or 500 EUR a year) and <c>free</c>, and one organization linked to <c>basic</c> with
/// 3 seats and no trial, on 2026-06-01 (June has 30 days: on June 16 half of the first period is left).
/// </summary>
internal sealed class LifecycleRig : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private LifecycleRig(StripeEmulator stripe, BillingTestHost host, StripeClient client, Guid organizationId)
    {
        Stripe = stripe;
        Host = host;
        Client = client;
        OrganizationId = organizationId;
    }

    public StripeEmulator Stripe { get; }

    public BillingTestHost Host { get; }

    /// <summary>Stripe.net on the emulator, to read what Stripe holds.</summary>
    public StripeClient Client { get; }

    public Guid OrganizationId { get; }

    public string BasicPrice { get; private set; } = "";

    public string ProPrice { get; private set; } = "";

    public string ProYearlyPrice { get; private set; } = "";

    public static async Task<LifecycleRig> StartAsync(bool webhooks = false, Action<VaultAIBillingOptions>? configure = null)
    {
        var stripe = await StripeEmulator.StartAsync(new StripeEmulatorOptions { Clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start) });
        var client = new StripeClient(new StripeClientOptions
        {
            ApiKey = stripe.ApiKey,
            ApiBase = stripe.BaseAddress.ToString().TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(new HttpClient(), maxNetworkRetries: 0),
        });
        var product = await client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "Seat" });
        var basic = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "eur", UnitAmount = 2000, Product = product.Id, Recurring = new PriceRecurringOptions { Interval = "month" } });
        var pro = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "eur", UnitAmount = 5000, Product = product.Id, Recurring = new PriceRecurringOptions { Interval = "month" } });
        var proYearly = await client.V1.Prices.CreateAsync(new PriceCreateOptions { Currency = "eur", UnitAmount = 50000, Product = product.Id, Recurring = new PriceRecurringOptions { Interval = "year" } });

        // The test host's own plan gets a price of its own, so that a subscription's items name one plan.
        var hostPlanPrice = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        var host = await BillingTestHost.StartAsync(stripe, hostPlanPrice, configure: options =>
        {
            options.Plans["basic"] = new BillingPlan { DisplayName = "Basic", MonthlyPriceId = basic.Id, LicensedQuantity = 3 };
            options.Plans["pro"] = new BillingPlan { DisplayName = "Pro", MonthlyPriceId = pro.Id, YearlyPriceId = proYearly.Id, LicensedQuantity = 3 };
            configure?.Invoke(options);
        });

        // Today's plan model cannot declare a free plan (a monthly price is required at start); the catalog rebuild can.
        // Until then the free plan joins the validated options after start.
        host.Services.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>().CurrentValue.Plans["free"] = new BillingPlan { DisplayName = "Free" };
        if (webhooks)
        {
            stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));
        }

        var organizationId = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(host.Client, organizationId);
        using (var link = await host.Admin.PostAsync(
            $"/api/admin/organizations/{organizationId}/link",
            InstanceCalls.Json("""{"admin_email":"billing@acme.example","deployment_type":"on-premise","plan_type":"basic","trial_days":0}""")))
        {
            Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        }

        return new LifecycleRig(stripe, host, client, organizationId) { BasicPrice = basic.Id, ProPrice = pro.Id, ProYearlyPrice = proYearly.Id };
    }

    public Task<HttpResponseMessage> PostAsync(string action, string? json = null) =>
        Host.Admin.PostAsync($"/api/admin/organizations/{OrganizationId}/{action}", InstanceCalls.Json(json ?? "{}"));

    /// <summary>Posts twice; both answers must be 200 and identical. Returns the body.</summary>
    public async Task<string> PostTwiceAsync(string action, string? json = null)
    {
        using var first = await PostAsync(action, json);
        var firstBody = await first.Content.ReadAsStringAsync();
        using var second = await PostAsync(action, json);
        var secondBody = await second.Content.ReadAsStringAsync();
        Assert.True(first.StatusCode == HttpStatusCode.OK, firstBody);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(firstBody, secondBody);
        return firstBody;
    }

    public async Task<Organization> OrganizationAsync()
    {
        await using var db = Host.CreateDbContext();
        return await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == OrganizationId);
    }

    public async Task<Subscription> SubscriptionAsync(string? id = null) =>
        await Client.V1.Subscriptions.GetAsync(id ?? (await OrganizationAsync()).StripeSubscriptionId);

    public async Task<List<Invoice>> InvoicesAsync()
    {
        var organization = await OrganizationAsync();
        var list = await Client.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = organization.StripeCustomerId, Limit = 100 });
        return list.Data.OrderBy(i => i.Created).ThenBy(i => i.Number, StringComparer.Ordinal).ToList();
    }

    /// <summary>The POSTs our host sent to Stripe to change a subscription (not to read it).</summary>
    public int SubscriptionWrites(string subscriptionId) =>
        Stripe.Requests.Count(r => r.Method == "POST" && r.Path == $"/v1/subscriptions/{subscriptionId}");

    public static bool IsProration(InvoiceLineItem line) => line.Parent?.SubscriptionItemDetails?.Proration == true;

    public static JsonElement Json(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}
