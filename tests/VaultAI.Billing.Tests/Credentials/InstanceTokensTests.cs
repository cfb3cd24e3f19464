using VaultAI.Billing.Credentials.Internal;

namespace VaultAI.Billing.Tests.Credentials;

public sealed class InstanceTokensTests
{
    [Fact]
    public void NewToken_IsPrefixedRandomAndUrlSafe()
    {
        var tokens = Enumerable.Range(0, 100).Select(_ => InstanceTokens.NewToken()).ToList();
        Assert.Equal(100, tokens.Distinct().Count());
        Assert.All(tokens, t =>
        {
            Assert.StartsWith("vaultai_", t, StringComparison.Ordinal);
            Assert.Equal(8 + 43, t.Length); // 32 bytes in unpadded base64url
            Assert.DoesNotContain('+', t);
            Assert.DoesNotContain('/', t);
            Assert.DoesNotContain('=', t);
        });
    }

    [Fact]
    public void Hash_IsSha256HexAndMatchesOnlyTheSameToken()
    {
        var token = InstanceTokens.NewToken();
        var hash = InstanceTokens.Hash(token);
        Assert.Equal(64, hash.Length);
        Assert.Equal(hash, hash.ToLowerInvariant());
        Assert.True(InstanceTokens.Matches(token, hash));
        Assert.False(InstanceTokens.Matches(token + "x", hash));
        Assert.False(InstanceTokens.Matches(InstanceTokens.NewToken(), hash));
        // Known answer: SHA-256("abc").
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", InstanceTokens.Hash("abc"));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("Basic abc", null)]
    [InlineData("Bearer ", null)]
    [InlineData("Bearer vaultai_abc", "vaultai_abc")]
    [InlineData("bearer   vaultai_abc  ", "vaultai_abc")]
    public void FromAuthorizationHeader_ReadsOnlyBearerTokens(string? header, string? expected) =>
        Assert.Equal(expected, InstanceTokens.FromAuthorizationHeader(header));

    [Fact]
    public void DisplayPrefix_RevealsOnlyTheFirstCharacters()
    {
        var token = InstanceTokens.NewToken();
        Assert.Equal(12, InstanceTokens.DisplayPrefix(token).Length);
        Assert.StartsWith(InstanceTokens.DisplayPrefix(token), token, StringComparison.Ordinal);
    }
}
