namespace VaultAI.Billing.Testing.Tests.Support;

/// <summary>Creates the usual test catalog through the API with raw form bodies.</summary>
internal static class Catalog
{
    public static async Task<(string ProductId, string PriceId)> LicensedMonthlyAsync(StripeHttp http, long unitAmount = 2000, string? lookupKey = null)
    {
        var product = await http.CreateAsync("/v1/products", "name=VaultAI%20Pro");
        var form = $"currency=usd&unit_amount={unitAmount}&product={product}&recurring[interval]=month" + (lookupKey is null ? string.Empty : $"&lookup_key={lookupKey}");
        var price = await http.CreateAsync("/v1/prices", form);
        return (product, price);
    }

    public static async Task<string> MeterAsync(StripeHttp http, string eventName, string formula) =>
        await http.CreateAsync(
            "/v1/billing/meters",
            $"display_name=API%20calls&event_name={eventName}&default_aggregation[formula]={formula}&customer_mapping[type]=by_id&customer_mapping[event_payload_key]=stripe_customer_id&value_settings[event_payload_key]=value");

    public static async Task<string> MeteredPriceAsync(StripeHttp http, string meterId, string unitAmountDecimal)
    {
        var product = await http.CreateAsync("/v1/products", "name=API%20usage");
        return await http.CreateAsync(
            "/v1/prices",
            $"currency=usd&unit_amount_decimal={unitAmountDecimal}&product={product}&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]={meterId}");
    }

    public static Task<string> CustomerAsync(StripeHttp http, string email = "a%2Bb%40example.com") =>
        http.CreateAsync("/v1/customers", $"email={email}&metadata[organization_id]=org-1");
}
