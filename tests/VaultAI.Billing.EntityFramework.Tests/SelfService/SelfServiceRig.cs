using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stripe;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.SelfService;

/// <summary>
/// A billing host on PostgreSQL and the emulator (clock at 2026-06-01) with two per-seat plans, <c>basic</c> (20 EUR a seat a
/// month, 3 seats, 14 trial days) and <c>pro</c> (50 EUR a seat a month or 500 a year, 3 seats), redirect URLs allowed on
/// <c>https://app.example.com</c>, and one registered organization with its own token; linked to <c>basic</c> without a
/// trial unless asked otherwise.
/// </summary>
internal sealed class SelfServiceRig : IAsyncDisposable
{
    public const string Origin = "https://app.example.com";
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private SelfServiceRig(StripeEmulator stripe, BillingTestHost host, StripeClient client, Guid organizationId, string token)
    {
        Stripe = stripe;
        Host = host;
        Client = client;
        OrganizationId = organizationId;
        Token = token;
    }

    public StripeEmulator Stripe { get; }

    public BillingTestHost Host { get; }

    /// <summary>Stripe.net on the emulator, to set up and read what Stripe holds, as a test would on Stripe's test mode.</summary>
    public StripeClient Client { get; }

    public Guid OrganizationId { get; }

    public string Token { get; }

    public string ProPrice { get; private set; } = "";

    public static async Task<SelfServiceRig> StartAsync(bool link = true)
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
        var hostPlanPrice = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        var host = await BillingTestHost.StartAsync(stripe, hostPlanPrice, configure: options =>
        {
            options.Plans["basic"] = new BillingPlan { DisplayName = "Basic", MonthlyPriceId = basic.Id, LicensedQuantity = 3, TrialDays = 14 };
            options.Plans["pro"] = new BillingPlan { DisplayName = "Pro", MonthlyPriceId = pro.Id, YearlyPriceId = proYearly.Id, LicensedQuantity = 3 };
            options.AllowedRedirectOrigins = [Origin];
        });
        stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));

        var organizationId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, organizationId);
        if (link)
        {
            using var linked = await host.Admin.PostAsync(
                $"/api/admin/organizations/{organizationId}/link",
                InstanceCalls.Json("""{"admin_email":"billing@acme.example","deployment_type":"on-premise","plan_type":"basic","trial_days":0}"""));
            Assert.Equal(System.Net.HttpStatusCode.OK, linked.StatusCode);
            await stripe.Deliveries.FlushAsync();
        }

        return new SelfServiceRig(stripe, host, client, organizationId, token) { ProPrice = pro.Id };
    }

    /// <summary>Calls a self-service route of <paramref name="organizationId"/> (by default the rig's) with a token (by default the rig's).</summary>
    public async Task<HttpResponseMessage> CallAsync(HttpMethod method, string route, string? body = null, string? token = null, Guid? organizationId = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, $"/api/organizations/{organizationId ?? OrganizationId}/{route}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Token);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await Host.Client.SendAsync(request);
    }

    public async Task<JsonElement> OkJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    public async Task<Organization> OrganizationAsync()
    {
        await using var db = Host.CreateDbContext();
        return await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == OrganizationId);
    }

    /// <summary>What a refused request must leave untouched: every organization row and the billing event log.</summary>
    public async Task<string> BillingTablesAsync()
    {
        await using var db = Host.CreateDbContext();
        var organizations = await db.Organizations.AsNoTracking().OrderBy(o => o.Id).Select(o => new { o.Id, o.Version, o.PlanKey, o.Status, o.StripeSubscriptionId, o.UpdatedAt }).ToListAsync();
        var events = await db.BillingEvents.AsNoTracking().OrderBy(e => e.Id).Select(e => new { e.Id, e.Type }).ToListAsync();
        return JsonSerializer.Serialize(new { organizations, events });
    }

    /// <summary>The POSTs that reached the emulator (reads are GETs; every write to Stripe is a POST or DELETE).</summary>
    public int StripeWrites() => Stripe.Requests.Count(r => r.Method is "POST" or "DELETE");

    /// <summary>Gives the organization's customer a default card, as Stripe's test mode does with <c>pm_card_visa</c>.</summary>
    public async Task GiveCardAsync()
    {
        var customerId = (await OrganizationAsync()).StripeCustomerId!;
        await Client.V1.Customers.UpdateAsync(customerId, new CustomerUpdateOptions { InvoiceSettings = new CustomerInvoiceSettingsOptions { DefaultPaymentMethod = "pm_card_visa" } });
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}
