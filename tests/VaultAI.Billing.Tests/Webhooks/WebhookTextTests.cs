using VaultAI.Billing.Webhooks.Internal;

namespace VaultAI.Billing.Tests.Webhooks;

public sealed class WebhookTextTests
{
    [Theory]
    [InlineData("evt_123", "evt_123")]
    [InlineData("a\u0000b", "a\\u0000b")]
    [InlineData("x\r\n[Critical] forged", "x\\u000d\\u000a[Critical] forged")]
    [InlineData("\u001b[31m", "\\u001b[31m")]
    [InlineData("\u202eevil", "\\u202eevil")]
    [InlineData("pair \ud83d\ude00 kept", "pair \ud83d\ude00 kept")]
    public void Safe_ControlFormatAndLoneSurrogateCharacters_AreEscaped(string value, string expected)
    {
        Assert.Equal(expected, WebhookText.Safe(value));
    }

    [Fact]
    public void Safe_LoneSurrogates_AreEscaped()
    {
        // Built from chars: an attribute argument cannot hold a lone surrogate (it is stored as UTF-8).
        var value = "high " + (char)0xD800 + " low " + (char)0xDFFF;

        Assert.Equal("high \\ud800 low \\udfff", WebhookText.Safe(value));
    }

    [Fact]
    public void Safe_LongValue_IsCappedAndSaysHowLongItWas()
    {
        var safe = WebhookText.Safe(new string('x', 100_000));

        Assert.StartsWith(new string('x', WebhookText.MaxLogLength), safe, StringComparison.Ordinal);
        Assert.EndsWith("...(100000 chars)", safe, StringComparison.Ordinal);
        Assert.True(safe.Length < WebhookText.MaxLogLength + 30);
    }

    [Fact]
    public void Safe_Null_IsNone()
    {
        Assert.Equal("(none)", WebhookText.Safe(null));
    }
}
