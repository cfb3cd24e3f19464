using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>Fills the defaults that depend on the machine: the spool folder under the local application data folder.</summary>
internal sealed class VaultAIBillingClientOptionsDefaults : IPostConfigureOptions<VaultAIBillingClientOptions>
{
    public const string DefaultFolderName = "vaultai-billing";

    public void PostConfigure(string? name, VaultAIBillingClientOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.SpoolDirectory))
        {
            var appData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
            options.SpoolDirectory = string.IsNullOrEmpty(appData) ? null : Path.Combine(appData, DefaultFolderName);
        }
    }
}
