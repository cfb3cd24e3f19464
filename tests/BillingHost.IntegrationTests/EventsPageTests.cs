using System.Net;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

public class EventsPageTests
{
    [Fact]
    public async Task EventsPage_ListsTheRegistrationAndFiltersByOrganization_AndABadFilterIsExplainedNotA500()
    {
        await using var factory = new HostFactory();
        using var client = factory.CreateClient();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        await Instances.RegisterAsync(client, first, "Helvetia Cloud");
        await Instances.RegisterAsync(client, second, "VantFlow");
        using var admin = await Html.SignInAsync(factory);

        var filtered = await admin.GetStringAsync($"/events?organization={first}&type=registered");
        var table = filtered[filtered.IndexOf("id=\"billing-events\"", StringComparison.Ordinal)..];
        Assert.Contains(first.ToString(), table, StringComparison.Ordinal);
        Assert.DoesNotContain(second.ToString(), table, StringComparison.Ordinal);
        Assert.Contains("id=\"suspended\"", filtered, StringComparison.Ordinal);

        using var bad = await admin.GetAsync("/events?organization=not-a-uuid&type=nope");
        Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        Assert.Contains("must be an organization id", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
