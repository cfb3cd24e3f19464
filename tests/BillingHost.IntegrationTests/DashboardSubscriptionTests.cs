using System.Net;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing;
using VaultAI.Billing.Organizations;

namespace BillingHost.IntegrationTests;

/// <summary>The organization's subscription page: plan change reviewed then confirmed, seats, resume; post, then redirect.</summary>
public class DashboardSubscriptionTests
{
    private static async Task<(HostFactory Factory, HttpClient Admin, Guid Id)> LinkedAsync()
    {
        var factory = new HostFactory();
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        var token = await Instances.RegisterAsync(client, id, "Acme Corp");
        using (var report = await Instances.ReportAsync(client, token, id, 12, DateTimeOffset.UtcNow.AddMinutes(-1), "Acme Corp"))
        {
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        var admin = await Html.SignInAsync(factory);
        var fields = new Dictionary<string, string>
        {
            ["Input.AdminEmail"] = "billing@acme.example",
            ["Input.DeploymentType"] = "on-premise",
            ["Input.PlanKey"] = "self-hosted",
            ["Input.BillingInterval"] = "monthly",
            ["Input.TrialDays"] = "4",
        };
        using (var link = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", fields))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        }

        return (factory, admin, id);
    }

    private static async Task<Organization> ReadAsync(HostFactory factory, Guid id)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<BillingAdministration>().GetOrganizationAsync(id))!;
    }

    [Fact]
    public async Task ChangePlan_ReviewChangesNothing_ConfirmSwapsThePriceAndRedirects()
    {
        var (factory, admin, id) = await LinkedAsync();
        await using var _ = factory;
        using var __ = admin;
        var page = $"/organizations/{id}/subscription";
        var target = factory.Services.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>().CurrentValue.Plans["managed-cloud"].MonthlyPriceId;
        var fields = new Dictionary<string, string> { ["planType"] = "managed-cloud", ["billingInterval"] = "", ["prorationBehavior"] = "create_prorations" };

        Assert.Contains($"href=\"{page}\"", await admin.GetStringAsync($"/organizations/{id}"), StringComparison.Ordinal);
        using var review = await Html.SubmitAsync(admin, page, $"{page}?handler=Review", fields);
        var confirmation = await review.Content.ReadAsStringAsync();
        var unchanged = Assert.Single(factory.Stripe.State.Subscriptions);
        using var confirm = await Html.SubmitAsync(admin, page, $"{page}?handler=ChangePlan", fields);
        var changed = Assert.Single(factory.Stripe.State.Subscriptions);

        Assert.Equal(HttpStatusCode.OK, review.StatusCode);
        Assert.Contains("id=\"confirm-plan\"", confirmation, StringComparison.Ordinal);
        Assert.NotEqual(target, Assert.Single(unchanged.Items).PriceId);
        Assert.Equal(HttpStatusCode.Redirect, confirm.StatusCode);
        Assert.Equal($"/organizations/{id}", confirm.Headers.Location!.OriginalString);
        Assert.Contains("Plan changed to managed-cloud.", await admin.GetStringAsync($"/organizations/{id}"), StringComparison.Ordinal);
        Assert.Equal(target, Assert.Single(changed.Items).PriceId);
        Assert.Equal("managed-cloud", (await ReadAsync(factory, id)).PlanKey);
    }

    [Fact]
    public async Task Resume_AfterCancelAtPeriodEnd_KeepsTheSubscriptionRenewing()
    {
        var (factory, admin, id) = await LinkedAsync();
        await using var _ = factory;
        using var __ = admin;
        var details = $"/organizations/{id}";
        using (var cancel = await Html.SubmitAsync(admin, details, $"{details}?handler=Cancel&atPeriodEnd=true"))
        {
            Assert.Equal(HttpStatusCode.Redirect, cancel.StatusCode);
        }

        var page = $"/organizations/{id}/subscription";
        Assert.Contains("id=\"resume\"", await admin.GetStringAsync(page), StringComparison.Ordinal);
        using var resume = await Html.SubmitAsync(admin, page, $"{page}?handler=Resume");

        Assert.Equal(HttpStatusCode.Redirect, resume.StatusCode);
        Assert.False((await ReadAsync(factory, id)).CancelAtPeriodEnd);
        Assert.False(Assert.Single(factory.Stripe.State.Subscriptions).CancelAtPeriodEnd);
    }

    [Fact]
    public async Task Seats_OnAMeteredPlan_ShowsWhyOnThePage()
    {
        var (factory, admin, id) = await LinkedAsync();
        await using var _ = factory;
        using var __ = admin;
        var page = $"/organizations/{id}/subscription";

        using var response = await Html.SubmitAsync(admin, page, $"{page}?handler=Seats", new Dictionary<string, string> { ["quantity"] = "5" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("no licensed (per-seat) item", Html.Text(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Null(Assert.Single(Assert.Single(factory.Stripe.State.Subscriptions).Items).Quantity);
    }
}
