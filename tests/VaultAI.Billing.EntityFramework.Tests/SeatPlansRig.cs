using System.Net;
using Microsoft.EntityFrameworkCore;
using Stripe;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests;

/// <summary>
/// What the self-service and lifecycle rigs share: the emulator with its clock at 2026-06-01, Stripe.net on it, a seat
/// product with three prices (<c>basic</c> 20 EUR a seat a month, <c>pro</c> 50 EUR a month or 500 EUR a year), a billing
/// host on PostgreSQL with the <c>basic</c> and <c>pro</c> plans (3 seats each), and one registered organization with its
/// own token, linked to <c>basic</c> without a trial unless asked otherwise.
/// </summary>
internal abstract class SeatPlansRig : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    protected SeatPlansRig(Parts parts)
    {
        Stripe = parts.Stripe;
        Host = parts.Host;
        Client = parts.Client;
        OrganizationId = parts.OrganizationId;
        Token = parts.Token;
        BasicPrice = parts.BasicPrice;
        ProPrice = parts.ProPrice;
        ProYearlyPrice = parts.ProYearlyPrice;
    }

    public StripeEmulator Stripe { get; }

    public BillingTestHost Host { get; }

    /// <summary>Stripe.net on the emulator, to set up and read what Stripe holds, as a test would on Stripe's test mode.</summary>
    public StripeClient Client { get; }

    public Guid OrganizationId { get; }

    /// <summary>The organization's billing token, from its registration.</summary>
    public string Token { get; }

    public string BasicPrice { get; }

    public string ProPrice { get; }

    public string ProYearlyPrice { get; }

    public async Task<Organization> OrganizationAsync()
    {
        await using var db = Host.CreateDbContext();
        return await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == OrganizationId);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Stripe.DisposeAsync();
    }

    /// <summary>Starts everything.</summary>
    /// <param name="basicTrialDays">The <c>basic</c> plan's own trial days (the link itself asks for none).</param>
    /// <param name="webhooks">Whether the emulator delivers its webhooks to the host (and the link's are flushed).</param>
    /// <param name="link">Whether to link the organization to <c>basic</c>.</param>
    /// <param name="configure">More options, applied after the plans.</param>
    protected static async Task<Parts> StartPartsAsync(int? basicTrialDays, bool webhooks, bool link, Action<VaultAIBillingOptions>? configure)
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
            options.Plans["basic"] = new BillingPlan { DisplayName = "Basic", MonthlyPriceId = basic.Id, LicensedQuantity = 3, TrialDays = basicTrialDays };
            options.Plans["pro"] = new BillingPlan { DisplayName = "Pro", MonthlyPriceId = pro.Id, YearlyPriceId = proYearly.Id, LicensedQuantity = 3 };
            configure?.Invoke(options);
        });
        if (webhooks)
        {
            stripe.AddWebhookEndpoint(new Uri(host.BaseAddress, "/api/stripe/webhook"));
        }

        var organizationId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, organizationId);
        if (link)
        {
            using var linked = await host.Admin.PostAsync(
                $"/api/admin/organizations/{organizationId}/link",
                InstanceCalls.Json("""{"admin_email":"billing@acme.example","deployment_type":"on-premise","plan_type":"basic","trial_days":0}"""));
            Assert.Equal(HttpStatusCode.OK, linked.StatusCode);
            if (webhooks)
            {
                await stripe.Deliveries.FlushAsync();
            }
        }

        return new Parts(stripe, host, client, organizationId, token, basic.Id, pro.Id, proYearly.Id);
    }

    /// <summary>What <see cref="StartPartsAsync"/> started, for a derived rig's constructor.</summary>
    protected sealed record Parts(StripeEmulator Stripe, BillingTestHost Host, StripeClient Client, Guid OrganizationId, string Token, string BasicPrice, string ProPrice, string ProYearlyPrice);
}
