using Stripe;

namespace VaultAI.Billing.Testing.Tests.StripeNet;

/// <summary>Stripe.net's <see cref="StripeClient"/> pointed at an emulator, wired as our services wire it.</summary>
internal static class StripeNetClient
{
    public static StripeClient For(StripeEmulator emulator, int maxNetworkRetries = 0, string? apiKey = null)
    {
        var baseAddress = emulator.BaseAddress.ToString().TrimEnd('/');
        return new StripeClient(new StripeClientOptions
        {
            ApiKey = apiKey ?? emulator.ApiKey,
            ApiBase = baseAddress,
            MeterEventsBase = baseAddress,
            HttpClient = new SystemNetHttpClient(new HttpClient(), maxNetworkRetries: maxNetworkRetries),
        });
    }

    /// <summary>Creates a product and its licensed monthly price of 20.00 USD, the catalog most of these tests bill.</summary>
    public static async Task<Price> CreateMonthlyPriceAsync(StripeClient client)
    {
        var product = await client.V1.Products.CreateAsync(new ProductCreateOptions { Name = "VaultAI Pro" });
        return await client.V1.Prices.CreateAsync(new PriceCreateOptions
        {
            Currency = "usd",
            UnitAmount = 2000,
            Product = product.Id,
            Recurring = new PriceRecurringOptions { Interval = "month" },
        });
    }
}
