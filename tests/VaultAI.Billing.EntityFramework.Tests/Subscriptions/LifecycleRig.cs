using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Stripe;
using VaultAI.Billing.Plans;

namespace VaultAI.Billing.EntityFramework.Tests.Subscriptions;

/// <summary>
/// The shared seat-plans rig (<see cref="SeatPlansRig"/>: plans <c>basic</c>, 20 EUR a seat a month, and <c>pro</c>, 50 EUR
/// a month or 500 EUR a year) plus a <c>free</c> plan, and its organization linked to <c>basic</c> with 3 seats and no
/// trial, on 2026-06-01 (June has 30 days: on June 16 half of the first period is left). Webhooks only when asked.
/// </summary>
internal sealed class LifecycleRig : SeatPlansRig
{
    private LifecycleRig(Parts parts)
        : base(parts)
    {
    }

    public static async Task<LifecycleRig> StartAsync(bool webhooks = false, Action<VaultAIBillingOptions>? configure = null)
    {
        var rig = new LifecycleRig(await StartPartsAsync(basicTrialDays: null, webhooks, link: true, configure));

        // Today's plan model cannot declare a free plan (a monthly price is required at start); the catalog rebuild can.
        // Until then the free plan joins the validated options after start.
        rig.Host.Services.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>().CurrentValue.Plans["free"] = new BillingPlan { DisplayName = "Free" };
        return rig;
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
}
