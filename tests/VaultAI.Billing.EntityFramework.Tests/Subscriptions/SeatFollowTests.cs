using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Subscriptions;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Subscriptions;

/// <summary>
/// Seats that follow a <c>Last</c> metric (VaultAI's active users as seats): reported values reach the Stripe subscription's
/// seat item, and a value that did not change calls Stripe no more.
/// </summary>
public sealed class SeatFollowTests : IAsyncLifetime
{
    private StripeEmulator _stripe = null!;
    private BillingTestHost _host = null!;
    private string _seatPrice = "";

    public async Task InitializeAsync()
    {
        _stripe = await StripeEmulator.StartAsync();
        _seatPrice = await EmulatorCatalog.CreateLicensedPriceAsync(_stripe, 1200);
        _host = await BillingTestHost.StartAsync(_stripe, "price_unused", configure: o =>
            o.Plans["team"] = new BillingPlan
            {
                DisplayName = "Team",
                TrialDays = 0,
                Seats = new PlanSeats { PriceId = _seatPrice, MonthlyAmount = 1200, Metric = "active_users", ProrationBehavior = "none" },
            });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _stripe.DisposeAsync();
    }

    [Fact]
    public async Task ReportedUsers_BecomeTheSeatQuantity_OnceEachTheValueChanges()
    {
        var orgId = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(_host.Client, orgId);
        using (var link = await _host.Admin.PostAsync($"/api/admin/organizations/{orgId}/link", InstanceCalls.Json("""{"admin_email":"ops@acme.example","deployment_type":"on-premise","plan_type":"team","trial_days":0}""")))
        {
            Assert.True(link.IsSuccessStatusCode, await link.Content.ReadAsStringAsync());
        }

        var subscription = Assert.Single(_stripe.State.Subscriptions);
        Assert.Equal([(_seatPrice, (long?)1)], subscription.Items.Select(i => (i.PriceId, i.Quantity)).ToArray());

        var afterFive = await ReportThenFollowAsync(token, orgId, 5);
        var atFive = Assert.Single(Assert.Single(_stripe.State.Subscriptions).Items).Quantity;
        var afterEight = await ReportThenFollowAsync(token, orgId, 8);
        var atEight = Assert.Single(Assert.Single(_stripe.State.Subscriptions).Items).Quantity;
        var updatesBefore = SubscriptionUpdates(subscription.Id);
        var afterEightAgain = await ReportThenFollowAsync(token, orgId, 8);

        Assert.Equal((true, 5L), (afterFive, atFive));
        Assert.Equal((true, 8L), (afterEight, atEight));
        Assert.False(afterEightAgain);
        Assert.Equal(2, updatesBefore);
        Assert.Equal(updatesBefore, SubscriptionUpdates(subscription.Id));
        await using var db = _host.CreateDbContext();
        Assert.Equal(8L, db.Organizations.Single(o => o.Id == orgId).LicensedQuantity);
        Assert.Equal(2, db.BillingEvents.Count(e => e.OrganizationId == orgId && e.Type == "seats_changed"));
    }

    private async Task<bool> ReportThenFollowAsync(string token, Guid orgId, long users)
    {
        using (var report = await InstanceCalls.ReportAsync(_host.Client, token, orgId, users, DateTimeOffset.UtcNow))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        await using var scope = _host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SubscriptionLifecycle>().FollowSeatsAsync(orgId);
    }

    private int SubscriptionUpdates(string subscriptionId) =>
        _stripe.Requests.Count(r => r.Method == "POST" && r.Path == $"/v1/subscriptions/{subscriptionId}");
}
