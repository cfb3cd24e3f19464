using System.Net;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

/// <summary>Credits on the organization page: granted through the library into the emulator's customer balance, shown back.</summary>
public class DashboardCreditsTests
{
    [Fact]
    public async Task GrantCredit_RedirectsAndShowsTheBalanceAndHistory_RefusesWithoutConfirmationOrWithABadAmount()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        var id = Guid.NewGuid();
        await Instances.RegisterAsync(client, id, "Credit AG");
        using var admin = await Html.SignInAsync(factory);
        using (var link = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", new Dictionary<string, string>
        {
            ["Input.AdminEmail"] = "billing@credit.example",
            ["Input.DeploymentType"] = "on-premise",
            ["Input.PlanKey"] = "self-hosted",
            ["Input.BillingInterval"] = "monthly",
            ["Input.TrialDays"] = "4",
        }))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        }

        var page = $"/organizations/{id}";
        var action = $"/organizations/{id}?handler=Credit";
        using (var unconfirmed = await Html.SubmitAsync(admin, page, action, new Dictionary<string, string> { ["amount"] = "12.50", ["reason"] = "Outage goodwill" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, unconfirmed.StatusCode);
        }

        using (var badAmount = await Html.SubmitAsync(admin, page, action, new Dictionary<string, string> { ["amount"] = "12.505", ["reason"] = "Outage goodwill", ["confirm"] = "true" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badAmount.StatusCode);
            Assert.Contains("Amount", Html.Text(await badAmount.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        }

        var before = Flat(await admin.GetStringAsync(page));
        Assert.Contains("Balance: 0.00 EUR", before, StringComparison.Ordinal);
        Assert.Contains("No credit movement.", before, StringComparison.Ordinal);

        using (var grant = await Html.SubmitAsync(admin, page, action, new Dictionary<string, string> { ["amount"] = "12.50", ["reason"] = "Outage goodwill", ["confirm"] = "true" }))
        {
            Assert.Equal(HttpStatusCode.Redirect, grant.StatusCode);
            Assert.Equal(page, grant.Headers.Location?.OriginalString);
        }

        var after = Flat(await admin.GetStringAsync(page));
        Assert.Contains("Credit of 12.50 EUR granted.", after, StringComparison.Ordinal);
        Assert.Contains("Balance: 12.50 EUR", after, StringComparison.Ordinal);
        Assert.Contains("Outage goodwill", after, StringComparison.Ordinal);
        Assert.DoesNotContain("No credit movement.", after, StringComparison.Ordinal);

        // A reload of the page after the redirect grants nothing more.
        var reloaded = Flat(await admin.GetStringAsync(page));
        Assert.Contains("Balance: 12.50 EUR", reloaded, StringComparison.Ordinal);
    }

    private static string Flat(string html) => System.Text.RegularExpressions.Regex.Replace(Html.Text(html), @"\s+", " ");
}
