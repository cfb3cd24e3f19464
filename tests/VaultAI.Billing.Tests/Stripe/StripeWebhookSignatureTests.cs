using System.Text;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeWebhookSignatureTests
{
    private const string Secret = "whsec_test_secret";
    private const string KnownBody = """{"id":"evt_test_1","object":"event","type":"customer.subscription.created","data":{"object":{"id":"sub_123"}}}""";
    private const string KnownV1 = "6282394315c6d5ffac3212787288a95671a0bc52d16928d67b37cf06465986f0";
    private static readonly DateTimeOffset SignedAt = DateTimeOffset.FromUnixTimeSeconds(1700000000);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(KnownBody);

    [Fact]
    public void GenerateHeader_KnownAnswerVector_MatchesStripe()
    {
        Assert.Equal(110, Body.Length);

        Assert.Equal("t=1700000000,v1=" + KnownV1, StripeWebhookSignature.GenerateHeader(Body, Secret, SignedAt));
    }

    [Fact]
    public void Verify_KnownAnswerVector_IsValid()
    {
        var result = StripeWebhookSignature.Verify(Body, "t=1700000000,v1=" + KnownV1, [Secret], SignedAt, StripeWebhookSignature.DefaultTolerance);

        Assert.Equal(StripeSignatureVerificationResult.Valid, result);
    }

    public static TheoryData<string, string?, string, string, int, StripeSignatureVerificationResult> Cases()
    {
        var wrong = new string('0', 64);
        return new()
        {
            { "valid", $"t=1700000000,v1={KnownV1}", KnownBody, Secret, 0, StripeSignatureVerificationResult.Valid },
            { "second v1 valid", $"t=1700000000,v1={wrong},v1={KnownV1}", KnownBody, Secret, 0, StripeSignatureVerificationResult.Valid },
            { "v0 alongside", $"t=1700000000,v0={wrong},v1={KnownV1}", KnownBody, Secret, 0, StripeSignatureVerificationResult.Valid },
            { "spaces around parts", $"t=1700000000, v1={KnownV1}", KnownBody, Secret, 0, StripeSignatureVerificationResult.Valid },
            { "wrong secret", $"t=1700000000,v1={KnownV1}", KnownBody, "whsec_other", 0, StripeSignatureVerificationResult.SignatureMismatch },
            { "body changed by one byte", $"t=1700000000,v1={KnownV1}", KnownBody.Replace("sub_123", "sub_124", StringComparison.Ordinal), Secret, 0, StripeSignatureVerificationResult.SignatureMismatch },
            { "timestamp changed", $"t=1700000001,v1={KnownV1}", KnownBody, Secret, 1, StripeSignatureVerificationResult.SignatureMismatch },
            { "301 s old", $"t=1700000000,v1={KnownV1}", KnownBody, Secret, 301, StripeSignatureVerificationResult.TimestampOutsideTolerance },
            { "301 s ahead", $"t=1700000000,v1={KnownV1}", KnownBody, Secret, -301, StripeSignatureVerificationResult.TimestampOutsideTolerance },
            { "300 s old", $"t=1700000000,v1={KnownV1}", KnownBody, Secret, 300, StripeSignatureVerificationResult.Valid },
            { "missing header", null, KnownBody, Secret, 0, StripeSignatureVerificationResult.MissingHeader },
            { "empty header", " ", KnownBody, Secret, 0, StripeSignatureVerificationResult.MissingHeader },
            { "malformed header", "garbage", KnownBody, Secret, 0, StripeSignatureVerificationResult.MalformedHeader },
            { "no timestamp", $"v1={KnownV1}", KnownBody, Secret, 0, StripeSignatureVerificationResult.MalformedHeader },
            { "timestamp not a number", $"t=abc,v1={KnownV1}", KnownBody, Secret, 0, StripeSignatureVerificationResult.MalformedHeader },
            { "only v0", $"t=1700000000,v0={KnownV1}", KnownBody, Secret, 0, StripeSignatureVerificationResult.NoV1Signature },
            { "empty body", $"t=1700000000,v1={KnownV1}", string.Empty, Secret, 0, StripeSignatureVerificationResult.SignatureMismatch },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Verify_Table(string scenario, string? header, string body, string secret, int secondsAfterSigning, StripeSignatureVerificationResult expected)
    {
        var result = StripeWebhookSignature.Verify(
            Encoding.UTF8.GetBytes(body), header, [secret], SignedAt.AddSeconds(secondsAfterSigning), TimeSpan.FromSeconds(300));

        Assert.True(expected == result, $"{scenario}: expected {expected}, got {result}");
    }

    [Fact]
    public void Verify_RotatedSecrets_AnySecretMayMatch()
    {
        var result = StripeWebhookSignature.Verify(Body, "t=1700000000,v1=" + KnownV1, ["whsec_new", Secret], SignedAt, TimeSpan.FromMinutes(5));

        Assert.Equal(StripeSignatureVerificationResult.Valid, result);
    }

    [Fact]
    public void Verify_EmptyBodySignedCorrectly_IsValid()
    {
        var header = StripeWebhookSignature.GenerateHeader([], Secret, SignedAt);

        Assert.Equal(StripeSignatureVerificationResult.Valid, StripeWebhookSignature.Verify([], header, [Secret], SignedAt, TimeSpan.FromMinutes(5)));
    }
}
