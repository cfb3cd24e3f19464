using BillingHost.Admin;
using BillingHost.Provisioning;
using VaultAI.Billing.Testing;

namespace BillingHost.IntegrationTests.Support;

/// <summary>
/// Complete production settings: PostgreSQL, an emulator standing in for Stripe, its catalog, one admin API key.
/// </summary>
internal static class ProductionSettings
{
    public static async Task<Dictionary<string, string?>> CreateAsync(StripeEmulator stripe, string connectionString, string adminApiKey)
    {
        var catalog = await BillingHost.Hosting.StripeClients.UseAsync(
            o => { o.ApiKey = stripe.ApiKey; o.ApiBase = stripe.BaseAddress; },
            client => new StripeCatalogProvisioner(client).ProvisionAsync());
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Billing"] = connectionString,
            ["VaultAI:Billing:Stripe:ApiKey"] = stripe.ApiKey,
            ["VaultAI:Billing:Stripe:ApiBase"] = stripe.BaseAddress.ToString(),
            ["VaultAI:Billing:Stripe:MeterEventsBase"] = stripe.BaseAddress.ToString(),
            ["VaultAI:Billing:Webhooks:Secrets:0"] = stripe.WebhookSecret,
            ["VaultAI:Host:AdminApiKeyHashes:0"] = AdminCredentials.HashApiKey(adminApiKey),
        };
        foreach (var (key, value) in catalog.ToConfiguration())
        {
            settings[key] = value;
        }

        return settings;
    }
}
