using VaultAI.Billing.Stripe;
using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class FormEncoderTests
{
    [Fact]
    public void Encode_ReservedCharactersInValue_PercentEncodesWithRfc3986UnreservedSet()
    {
        var form = new FormParams().Add("email", "a+b@example.com").Add("name", "A b~c_d.e-f/g&h=i");

        Assert.Equal("email=a%2Bb%40example.com&name=A%20b~c_d.e-f%2Fg%26h%3Di", FormEncoder.Encode(form));
    }

    [Fact]
    public void Encode_NestedDictionary_UsesUnescapedBrackets()
    {
        var form = new FormParams().Add("metadata", new Dictionary<string, string?> { ["organization_id"] = "x", ["plan name"] = "pro plan" });

        Assert.Equal("metadata[organization_id]=x&metadata[plan%20name]=pro%20plan", FormEncoder.Encode(form));
    }

    [Fact]
    public void Encode_NullAndEmptyValuesInsideObject_SendKeyWithEmptyValue()
    {
        var form = new FormParams().Add("metadata", new Dictionary<string, string?> { ["gone"] = null, ["blank"] = string.Empty });

        Assert.Equal("metadata[gone]=&metadata[blank]=", FormEncoder.Encode(form));
    }

    [Fact]
    public void Encode_TopLevelEmptyString_SendsKeyWithEmptyValueAndNullIsSkipped()
    {
        var form = new FormParams().Add("description", string.Empty).Add("name", null);

        Assert.Equal("description=", FormEncoder.Encode(form));
    }

    [Fact]
    public void Encode_ListsOfScalarsAndObjects_AreIndexed()
    {
        var form = new FormParams()
            .Add("expand", new List<string> { "latest_invoice", "customer" })
            .Add("items", new List<FormParams> { new FormParams().Add("price", "p1"), new FormParams().Add("id", "si_1").Add("deleted", true) });

        Assert.Equal(
            "expand[0]=latest_invoice&expand[1]=customer&items[0][price]=p1&items[1][id]=si_1&items[1][deleted]=true",
            FormEncoder.Encode(form));
    }

    [Fact]
    public void Encode_ScalarTypes_UseWireFormats()
    {
        var form = new FormParams()
            .Add("at", new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.FromHours(1)))
            .Add("yes", true)
            .Add("no", false)
            .Add("amount", 1234567L)
            .Add("ratio", 0.5m)
            .Add("double", 1.25d);

        Assert.Equal("at=1767225600&yes=true&no=false&amount=1234567&ratio=0.5&double=1.25", FormEncoder.Encode(form));
    }

    [Fact]
    public void Encode_NumbersUnderAGermanCulture_StayInvariant()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            Assert.Equal("ratio=0.5&n=1000000", FormEncoder.Encode(new FormParams().Add("ratio", 0.5m).Add("n", 1000000)));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Encode_EmptyListOrObject_ClearsTheField()
    {
        var form = new FormParams().Add("expand", new List<string>()).Add("metadata", new Dictionary<string, string?>());

        Assert.Equal("expand=&metadata=", FormEncoder.Encode(form));
    }

    [Fact]
    public void CustomerUpdateOptions_NullsOmittedEmptyStringUnsets()
    {
        var options = new CustomerUpdateOptions { Name = string.Empty, Metadata = new Dictionary<string, string?> { ["old"] = string.Empty } };

        Assert.Equal("name=&metadata[old]=", FormEncoder.Encode(options.ToForm()));
    }

    [Fact]
    public void SubscriptionCreateOptions_TrialEndNowAndSettings_EncodeNested()
    {
        var options = new SubscriptionCreateOptions
        {
            Customer = "cus_1",
            Items = [new SubscriptionItemOptions { Price = "price_seat", Quantity = 3 }, new SubscriptionItemOptions { Price = "price_metered" }],
            TrialEnd = DateTimeOffset.FromUnixTimeSeconds(1800000000),
            TrialEndNow = true,
            Metadata = new Dictionary<string, string?> { ["organization_id"] = "org_1" },
            PaymentBehavior = "default_incomplete",
            CollectionMethod = "charge_automatically",
            TrialSettingsEndBehaviorMissingPaymentMethod = "cancel",
        };

        Assert.Equal(
            "customer=cus_1&items[0][price]=price_seat&items[0][quantity]=3&items[1][price]=price_metered&trial_end=now" +
            "&metadata[organization_id]=org_1&payment_behavior=default_incomplete&collection_method=charge_automatically" +
            "&trial_settings[end_behavior][missing_payment_method]=cancel",
            FormEncoder.Encode(options.ToForm()));
    }
}
