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
}
