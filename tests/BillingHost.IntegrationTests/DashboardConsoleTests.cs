using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

/// <summary>The dashboard as a billing console: plan prices, silent instances, repeated names, events, HTML 404.</summary>
public class DashboardConsoleTests
{
    [Fact]
    public async Task UnknownOrganization_IsAnHtmlNotFoundPage()
    {
        await using var factory = new HostFactory();
        using var admin = await Html.SignInAsync(factory);
        var id = Guid.NewGuid();

        using var response = await admin.GetAsync($"/organizations/{id}");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Organization not found", html, StringComparison.Ordinal);
        Assert.Contains(id.ToString(), html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_ShowsIdsWhereNamesRepeat_PlanPriceSilenceAndBillingEvents()
    {
        // The host's clock: reports are received now, then three days pass before the admin looks.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var factory = new HostFactory { ConfigureTestServices = services => services.AddSingleton<TimeProvider>(clock) };
        using var client = factory.CreateClient();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        foreach (var id in new[] { first, second })
        {
            var token = await Instances.RegisterAsync(client, id, "Twin GmbH");
            using var report = await Instances.ReportAsync(client, token, id, 25, clock.GetUtcNow().AddMinutes(-1), "Twin GmbH");
            Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        }

        clock.Advance(TimeSpan.FromDays(3) + TimeSpan.FromHours(1));

        using var admin = await Html.SignInAsync(factory);
        using (var link = await Html.SubmitAsync(admin, $"/organizations/{first}/link", $"/organizations/{first}/link", new Dictionary<string, string>
        {
            ["Input.AdminEmail"] = "billing@twin.example",
            ["Input.DeploymentType"] = "on-premise",
            ["Input.PlanKey"] = "self-hosted",
            ["Input.BillingInterval"] = "monthly",
            ["Input.TrialDays"] = "4",
        }))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        }

        var dashboard = await admin.GetStringAsync("/");
        var details = Html.Text(await admin.GetStringAsync($"/organizations/{first}"));

        // Both rows carry their id, since the names are the same.
        Assert.Contains(first.ToString(), dashboard, StringComparison.Ordinal);
        Assert.Contains(second.ToString(), dashboard, StringComparison.Ordinal);
        var linked = Html.Text(dashboard[dashboard.IndexOf("id=\"linked\"", StringComparison.Ordinal)..dashboard.IndexOf("id=\"past-due\"", StringComparison.Ordinal)]);
        Assert.Contains("Self-hosted", linked, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("monthly ·", linked, StringComparison.Ordinal);
        Assert.Contains("per user", linked, StringComparison.Ordinal);
        Assert.Contains("silent for 3 days", linked, StringComparison.Ordinal);
        Assert.Contains("silent for 3 days", details, StringComparison.Ordinal);
        Assert.Contains("monthly ·", details, StringComparison.Ordinal);
        Assert.Contains("Billing events", details, StringComparison.Ordinal);
        Assert.Contains("linked", details[details.IndexOf("Billing events", StringComparison.Ordinal)..], StringComparison.Ordinal);
        Assert.Contains("Credits", details, StringComparison.Ordinal);

        // The portal button opens a Stripe customer portal session and sends the admin there.
        using var portal = await Html.SubmitAsync(admin, $"/organizations/{first}", $"/organizations/{first}?handler=Portal");
        Assert.Equal(HttpStatusCode.Redirect, portal.StatusCode);
        Assert.StartsWith(factory.Stripe.BaseAddress.ToString(), portal.Headers.Location!.ToString(), StringComparison.Ordinal);
    }
}
