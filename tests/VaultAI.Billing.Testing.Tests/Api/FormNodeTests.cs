using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.Tests.Api;

public class FormNodeTests
{
    [Fact]
    public void Parse_BracketNotation_BuildsATree()
    {
        var form = FormNode.Parse("customer=cus_123&items[0][price]=price_abc&items[1][price]=price_def&items[1][quantity]=2&metadata[organization_id]=x&expand[]=a&expand[]=b&email=a%2Bb%40example.com&recurring%5Bmeter%5D=mtr_1");

        Assert.Equal("cus_123", form.Str("customer"));
        Assert.Equal(["price_abc", "price_def"], form.List("items").Select(i => i.Node.Str("price")));
        Assert.Equal(2, form.List("items")[1].Node.Long("quantity"));
        Assert.Equal("x", form.Map("metadata")["organization_id"]);
        Assert.Equal(["a", "b"], form.Strings("expand"));
        Assert.Equal("a+b@example.com", form.Str("email"));
        Assert.Equal("mtr_1", form.Node("recurring")!.Str("meter"));
    }

    [Fact]
    public void Validate_UnknownNestedParameter_NamesTheFullKey()
    {
        var schema = new ParameterSchema("items[][price]", "metadata[*]");

        schema.Validate(FormNode.Parse("items[0][price]=p&metadata[a]=1&metadata="));
        var ex = Assert.Throws<StripeApiException>(() => schema.Validate(FormNode.Parse("items[0][pricee]=p")));

        Assert.Equal("items[0][pricee]", ex.Param);
        Assert.Equal("Received unknown parameter: items[0][pricee]", ex.Message);
    }
}
