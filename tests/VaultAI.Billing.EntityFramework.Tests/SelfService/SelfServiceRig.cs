using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stripe;

namespace VaultAI.Billing.EntityFramework.Tests.SelfService;

/// <summary>
/// The shared seat-plans rig (<see cref="SeatPlansRig"/>: clock at 2026-06-01, plans <c>basic</c> and <c>pro</c>, one
/// registered organization with its own token) with <c>basic</c> giving 14 trial days, redirect URLs allowed on
/// <c>https://app.example.com</c> and webhooks delivered; linked to <c>basic</c> without a trial unless asked otherwise.
/// </summary>
internal sealed class SelfServiceRig : SeatPlansRig
{
    public const string Origin = "https://app.example.com";

    private SelfServiceRig(Parts parts)
        : base(parts)
    {
    }

    public static async Task<SelfServiceRig> StartAsync(bool link = true) =>
        new(await StartPartsAsync(basicTrialDays: 14, webhooks: true, link, options => options.AllowedRedirectOrigins = [Origin]));

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
}
