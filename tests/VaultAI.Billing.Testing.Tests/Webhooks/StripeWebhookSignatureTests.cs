using System.Text;

namespace VaultAI.Billing.Testing.Tests.Webhooks;

public class StripeWebhookSignatureTests
{
    private const string Body = """{"id":"evt_test_1","object":"event","type":"customer.subscription.created","data":{"object":{"id":"sub_123"}}}""";

    [Fact]
    public void ComputeSignature_KnownAnswerVector_Matches()
    {
        var payload = Encoding.UTF8.GetBytes(Body);
        Assert.Equal(110, payload.Length);

        var signature = StripeWebhookSignature.ComputeSignature("whsec_test_secret", 1700000000, payload);

        Assert.Equal("6282394315c6d5ffac3212787288a95671a0bc52d16928d67b37cf06465986f0", signature);
        Assert.Equal("t=1700000000,v1=6282394315c6d5ffac3212787288a95671a0bc52d16928d67b37cf06465986f0", StripeWebhookSignature.CreateHeader("whsec_test_secret", 1700000000, payload));
    }

    [Fact]
    public void IsValid_AcceptsAnyMatchingV1AndRejectsTamperingAndStaleTimestamps()
    {
        var payload = Encoding.UTF8.GetBytes(Body);
        var now = DateTimeOffset.FromUnixTimeSeconds(1700000100);
        var header = "t=1700000000,v1=0000,v1=6282394315c6d5ffac3212787288a95671a0bc52d16928d67b37cf06465986f0,v0=zzz";

        Assert.True(StripeWebhookSignature.IsValid(header, payload, "whsec_test_secret", now, TimeSpan.FromSeconds(300)));
        Assert.False(StripeWebhookSignature.IsValid(header, Encoding.UTF8.GetBytes(Body + " "), "whsec_test_secret", now, TimeSpan.FromSeconds(300)));
        Assert.False(StripeWebhookSignature.IsValid(header, payload, "whsec_other", now, TimeSpan.FromSeconds(300)));
        Assert.False(StripeWebhookSignature.IsValid(header, payload, "whsec_test_secret", now.AddSeconds(301), TimeSpan.FromSeconds(300)));
        Assert.False(StripeWebhookSignature.IsValid(header, payload, "whsec_test_secret", now.AddSeconds(-500), TimeSpan.FromSeconds(300)));
        Assert.False(StripeWebhookSignature.IsValid(null, payload, "whsec_test_secret", now, TimeSpan.FromSeconds(300)));
    }
}
