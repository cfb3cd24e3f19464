using System.Text;
using System.Text.Json;
using VaultAI.Billing.Stripe;

namespace VaultAI.Billing.Tests.Stripe;

public sealed class StripeEventTests
{
    [Fact]
    public void Parse_SubscriptionEvent_ReadsEnvelopeAndDataObject()
    {
        var stripeEvent = StripeEvent.Parse(Encoding.UTF8.GetBytes(StripeJson.Event()));

        Assert.Equal("evt_1", stripeEvent.Id);
        Assert.Equal("customer.subscription.updated", stripeEvent.Type);
        Assert.Equal("2026-10-28.endive", stripeEvent.ApiVersion);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), stripeEvent.Created);
        Assert.Equal("incomplete", stripeEvent.Data.PreviousAttributes!.Value.GetProperty("status").GetString());
        var subscription = stripeEvent.GetDataObject<StripeSubscription>();
        Assert.Equal("sub_123", subscription.Id);
        Assert.Equal("cus_123", subscription.Customer);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700345600), subscription.TrialEnd);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("""{"id":"evt_1"}""")]
    [InlineData("""{"id":"evt_1","type":"x","data":{"object":"nope"}}""")]
    public void Parse_NotAnEvent_ThrowsStripeResponseException(string json)
    {
        var ex = Assert.Throws<StripeResponseException>(() => StripeEvent.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Contains("Stripe event", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownFieldsAndOlderShapes_AreTolerated()
    {
        // An older API version: period on the subscription, customer expanded, unknown fields, numbers as strings.
        const string json = """
            {"id":"evt_2","object":"event","type":"customer.subscription.created","api_version":"2024-06-20","created":"1700000000",
             "brand_new_field":{"x":[1,2]},"livemode":true,
             "data":{"object":{"id":"sub_9","object":"subscription","customer":{"id":"cus_exp","object":"customer","email":"x@y"},
               "status":"future_status","current_period_start":1700000000,"current_period_end":"1702592000",
               "items":{"data":[{"id":"si_1","quantity":"3","price":{"id":"price_1","product":{"id":"prod_exp","object":"product"},"unit_amount":"1500"},"current_period_end":1}]},
               "metadata":{"organization_id":"org_1","count":7}}}}
            """;

        var stripeEvent = StripeEvent.Parse(Encoding.UTF8.GetBytes(json));
        var subscription = stripeEvent.GetDataObject<StripeSubscription>();

        Assert.True(stripeEvent.Livemode);
        Assert.Null(stripeEvent.Data.PreviousAttributes);
        Assert.Equal("cus_exp", subscription.Customer);
        Assert.Equal("future_status", subscription.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1702592000), subscription.CurrentPeriodEnd);
        Assert.Equal(3, subscription.Items[0].Quantity);
        Assert.Equal("prod_exp", subscription.Items[0].Price!.Product);
        Assert.Equal(1500, subscription.Items[0].Price!.UnitAmount);
        Assert.Equal("7", subscription.Metadata["count"]);
    }

    [Fact]
    public void GetDataObject_InvoiceAndCheckoutSession_AreSupported()
    {
        var invoiceEvent = StripeEvent.Parse(Encoding.UTF8.GetBytes(
            $$$$"""{"id":"evt_3","type":"invoice.paid","created":1,"data":{"object":{{{{StripeJson.Invoice()}}}}}}"""));
        var checkoutEvent = StripeEvent.Parse(Encoding.UTF8.GetBytes(
            """{"id":"evt_4","type":"checkout.session.completed","created":1,"data":{"object":{"id":"cs_1","object":"checkout.session","customer":"cus_1","subscription":"sub_1","client_reference_id":"org_1","mode":"subscription","status":"complete","metadata":{"organization_id":"org_1"}}}}"""));

        Assert.Equal("sub_123", invoiceEvent.GetDataObject<StripeInvoice>().Subscription);
        var session = checkoutEvent.GetDataObject<StripeCheckoutSession>();
        Assert.Equal("sub_1", session.Subscription);
        Assert.Equal("org_1", session.ClientReferenceId);
    }

    [Fact]
    public void GetDataObject_UnsupportedOrMismatchedType_Throws()
    {
        var stripeEvent = StripeEvent.Parse(Encoding.UTF8.GetBytes(
            """{"id":"evt_5","type":"x.y","created":1,"data":{"object":{"object":"thing"}}}"""));

        Assert.Throws<NotSupportedException>(() => stripeEvent.GetDataObject<string>());
        Assert.Throws<StripeResponseException>(() => stripeEvent.GetDataObject<StripeSubscription>());
    }

    [Fact]
    public void DataObject_SurvivesAfterTheSourceBufferChanges()
    {
        var bytes = Encoding.UTF8.GetBytes(StripeJson.Event());
        var stripeEvent = StripeEvent.Parse(bytes);
        Array.Clear(bytes);

        Assert.Equal(JsonValueKind.Object, stripeEvent.Data.Object.ValueKind);
        Assert.Equal("sub_123", stripeEvent.Data.Object.GetProperty("id").GetString());
    }
}
