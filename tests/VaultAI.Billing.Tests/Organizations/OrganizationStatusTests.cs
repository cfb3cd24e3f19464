using VaultAI.Billing.Organizations;

namespace VaultAI.Billing.Tests.Organizations;

public sealed class OrganizationStatusTests
{
    [Theory]
    [InlineData("trialing", "trial")]
    [InlineData("active", "active")]
    [InlineData("past_due", "past_due")]
    [InlineData("unpaid", "unpaid")]
    [InlineData("canceled", "canceled")]
    [InlineData("incomplete_expired", "canceled")]
    [InlineData("incomplete", "incomplete")]
    [InlineData("paused", "paused")]
    [InlineData(null, "pending")]
    [InlineData("some_future_status", "some_future_status")]
    public void FromStripe_MapsStripeStatuses(string? stripe, string expected) =>
        Assert.Equal(expected, OrganizationStatus.FromStripe(stripe));
}
