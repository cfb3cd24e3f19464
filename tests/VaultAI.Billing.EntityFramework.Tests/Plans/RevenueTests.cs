using Microsoft.EntityFrameworkCore;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Testing;

namespace VaultAI.Billing.EntityFramework.Tests.Plans;

/// <summary>MRR from what the catalog bills; the current user count is the latest report by when it happened.</summary>
public sealed class RevenueTests
{
    [Fact]
    public async Task Revenue_LateOldReport_KeepsTodaysUsersAnd600EurNot360_TrialsApart()
    {
        await using var stripe = await StripeEmulator.StartAsync();
        var price = await EmulatorCatalog.CreateMeteredPriceAsync(stripe);
        await using var host = await BillingTestHost.StartAsync(stripe, price, configure: o =>
        {
            var plan = o.Plans[BillingTestHost.PlanKey];
            plan.DisplayName = "Managed Cloud";
            plan.MonthlyUnitAmount = 1200;
        });
        var now = stripe.Clock.GetUtcNow();

        var paying = Guid.NewGuid();
        var token = await InstanceCalls.RegisterAsync(host.Client, paying);
        (await InstanceCalls.LinkAsync(host.Admin, paying, trialDays: 0)).EnsureSuccessStatusCode();
        (await InstanceCalls.ReportAsync(host.Client, token, paying, 50, now)).EnsureSuccessStatusCode();
        // Sent after today's report, about a day weeks ago.
        (await InstanceCalls.ReportAsync(host.Client, token, paying, 30, now.AddDays(-20))).EnsureSuccessStatusCode();

        var trialing = Guid.NewGuid();
        var trialToken = await InstanceCalls.RegisterAsync(host.Client, trialing);
        (await InstanceCalls.LinkAsync(host.Admin, trialing, trialDays: 4)).EnsureSuccessStatusCode();
        (await InstanceCalls.ReportAsync(host.Client, trialToken, trialing, 10, now)).EnsureSuccessStatusCode();

        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(50, (await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == paying)).LastUserCount);
        }

        using var response = await host.Admin.GetAsync("/api/admin/revenue");
        var json = await InstanceCalls.ReadJsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        var plan = Assert.Single(json.GetProperty("plans").EnumerateArray());
        Assert.Equal(BillingTestHost.PlanKey, plan.GetProperty("plan").GetString());
        Assert.Equal((1, 60_000L), (plan.GetProperty("organizations").GetInt32(), plan.GetProperty("mrr").GetInt64()));
        Assert.Equal((1, 12_000L), (plan.GetProperty("trial_organizations").GetInt32(), plan.GetProperty("potential_mrr").GetInt64()));
        var eur = Assert.Single(json.GetProperty("totals").EnumerateArray());
        Assert.Equal(("eur", 60_000L), (eur.GetProperty("currency").GetString(), eur.GetProperty("mrr").GetInt64()));
    }
}
