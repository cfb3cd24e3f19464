using System.Net;
using BillingHost.Admin;
using BillingHost.Hosting;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using VaultAI.Billing.Organizations;

namespace BillingHost.IntegrationTests;

/// <summary>The embedded demo keeps living: its Stripe emulator's account survives a host restart.</summary>
public sealed class LivingDemoTests : IDisposable
{
    private readonly string _dataPath = Path.Combine(Path.GetTempPath(), "billinghost-tests", "living-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }

    private Dictionary<string, string?> Settings() => new() { ["VaultAI:Host:DataPath"] = _dataPath };

    [Fact]
    public async Task Restart_KeepsTheEmulatorsCustomersSubscriptionsAndInvoices_AndSyncStillWorks()
    {
        var id = Guid.NewGuid();
        string subscriptionId;
        int invoices;
        await using (var first = new HostFactory(Settings()))
        {
            using var client = first.CreateClient();
            var token = await Instances.RegisterAsync(client, id, "Persistent AG");
            using (var report = await Instances.ReportAsync(client, token, id, 12, DateTimeOffset.UtcNow.AddMinutes(-1), "Persistent AG"))
            {
                Assert.Equal(HttpStatusCode.OK, report.StatusCode);
            }

            using var admin = await Html.SignInAsync(first, "admin", first.BannerPassword());
            using var link = await Html.SubmitAsync(admin, $"/organizations/{id}/link", $"/organizations/{id}/link", new Dictionary<string, string>
            {
                ["Input.AdminEmail"] = "billing@persistent.example",
                ["Input.DeploymentType"] = "on-premise",
                ["Input.PlanKey"] = "self-hosted",
                ["Input.BillingInterval"] = "monthly",
                ["Input.TrialDays"] = "4",
            });
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
            subscriptionId = Assert.Single(first.Stripe.State.Subscriptions).Id;
            invoices = first.Stripe.State.Invoices.Count;
        }

        Assert.True(File.Exists(Path.Combine(_dataPath, EmbeddedStripe.StateFileName)));

        await using var second = new HostFactory(Settings());
        _ = second.Server;
        var kept = Assert.Single(second.Stripe.State.Subscriptions);
        Assert.Equal(subscriptionId, kept.Id);
        Assert.Equal("trialing", kept.Status);
        Assert.Equal(invoices, second.Stripe.State.Invoices.Count);
        Assert.Contains(second.Stripe.State.Customers, c => c.Email == "billing@persistent.example");

        // The catalog is provisioned again on the kept account: reused, not duplicated.
        Assert.Single(second.Stripe.State.Meters);
        Assert.Equal(4, second.Stripe.State.Prices.Count);

        using var again = await Html.SignInAsync(second, "admin", second.BannerPassword());
        var page = $"/organizations/{id}";
        using (var sync = await Html.SubmitAsync(again, page, $"{page}?handler=Sync"))
        {
            Assert.Equal(HttpStatusCode.Redirect, sync.StatusCode);
        }

        Assert.Contains("Synchronised from Stripe.", await again.GetStringAsync(page), StringComparison.Ordinal);
        await using var scope = second.Services.CreateAsyncScope();
        var organization = await scope.ServiceProvider.GetRequiredService<BillingAdministration>().GetOrganizationAsync(id);
        Assert.Equal(OrganizationStatus.Trial, organization!.Status);
        Assert.Equal(subscriptionId, organization.StripeSubscriptionId);
    }
}
