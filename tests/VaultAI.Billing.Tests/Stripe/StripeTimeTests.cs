using System.Text.Json;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeTimeTests
{
    [Theory]
    [InlineData("0", true)]
    [InlineData("1795968011", true)]
    [InlineData("9999999999", true)]
    [InlineData("10000000000", false)]        // Stripe.net would read it as milliseconds
    [InlineData("253402300800", false)]
    [InlineData("9223372036854775807", false)]
    [InlineData("-1", false)]
    [InlineData("1.5", false)]
    [InlineData("1e400", false)]
    public void TryRead_UnixSeconds_OnlyInStripeNetsSecondsRange(string json, bool valid)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(valid, StripeTime.TryRead(document.RootElement) is not null);
    }

    [Theory]
    [InlineData("""{"created":1795968011,"data":{"object":{"trial_end":null,"items":{"data":[{"current_period_end":1798560011}]}}}}""", null)]
    [InlineData("""{"created":-1}""", "$.created")]
    [InlineData("""{"created":1,"data":{"object":{"items":{"data":[{"current_period_end":99999999999999}]}}}}""", "$.data.object.items.data[0].current_period_end")]
    [InlineData("""{"created":1,"data":{"object":{"trial_end":9223372036854775807}}}""", "$.data.object.trial_end")]
    [InlineData("""{"created":1,"data":{"object":{"amount_due":99999999999999}}}""", null)] // not a time: left alone
    public void FindInvalidTime_RawEvent_NamesTheFirstTimeOutOfRange(string json, string? expected)
    {
        using var document = JsonDocument.Parse(json);

        Assert.Equal(expected, StripeTime.FindInvalidTime(document.RootElement));
    }
}
