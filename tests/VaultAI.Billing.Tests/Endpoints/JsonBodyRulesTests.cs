using VaultAI.Billing.Endpoints.Internal;

namespace VaultAI.Billing.Tests.Endpoints;

public sealed class JsonBodyRulesTests
{
    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json;charset=\"UTF-8\"")]
    [InlineData("application/problem+json")]
    [InlineData("application/vnd.vaultai.v1+json; charset=utf-8")]
    public void IsJsonContentType_JsonMediaType_IsTrue(string contentType) =>
        Assert.True(JsonBody.IsJsonContentType(contentType));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("text/plain")]
    [InlineData("text/json")]
    [InlineData("text/x-json")]
    [InlineData("application/jsonp")]
    [InlineData("application/+json")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/x-www-form-urlencoded; json=1")]
    [InlineData("json")]
    [InlineData(";;;")]
    public void IsJsonContentType_AnythingElse_IsFalse(string? contentType) =>
        Assert.False(JsonBody.IsJsonContentType(contentType));

    [Theory]
    [InlineData("ann@example.com")]
    [InlineData("ann.lee+billing@mail.example.co.uk")]
    [InlineData("o'brien@example.ie")]
    [InlineData("zoë@exämple.ch")]
    [InlineData("a@b.co")]
    public void EmailAddresses_PlainAddress_IsValid(string address) =>
        Assert.True(EmailAddresses.IsValid(address));

    [Theory]
    [InlineData("")]
    [InlineData("@")]
    [InlineData("a@")]
    [InlineData("@example.com")]
    [InlineData("a@b")]
    [InlineData("a@b.")]
    [InlineData("a@.b")]
    [InlineData("a@@b.com")]
    [InlineData("a@b@c.com")]
    [InlineData("Ann <ann@example.com>")]
    [InlineData("\"ann\"@example.com")]
    [InlineData("ann@[127.0.0.1]")]
    [InlineData("ann@127.0.0.1")]
    [InlineData(".ann@example.com")]
    [InlineData("ann.@example.com")]
    [InlineData("an..n@example.com")]
    [InlineData("ann@-example.com")]
    [InlineData("ann@example-.com")]
    [InlineData("ann @example.com")]
    [InlineData("ann@exa_mple.com")]
    public void EmailAddresses_AnythingElse_IsInvalid(string address) =>
        Assert.False(EmailAddresses.IsValid(address));

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("not-a-uuid")]
    [InlineData(null)]
    public void ParseId_NilOrNotAUuid_Throws400NamingTheField(string? text)
    {
        var exception = Assert.Throws<BillingException>(() => JsonBody.ParseId(text, "organization_id"));

        Assert.Equal((400, "organization_id"), (exception.StatusCode, exception.Field));
    }
}
