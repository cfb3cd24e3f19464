namespace VaultAI.Billing.Client;

/// <summary>
/// Supplies the organization's identity when it lives in the instance (for example in its database)
/// rather than in configuration. When registered, it replaces <see cref="VaultAIBillingClientOptions.OrganizationId"/>,
/// <see cref="VaultAIBillingClientOptions.OrganizationName"/> and <see cref="VaultAIBillingClientOptions.InstanceUrl"/>.
/// </summary>
public interface IOrganizationInfoProvider
{
    /// <summary>Returns the organization's identity. The id must never change once registered.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The organization's identity.</returns>
    ValueTask<OrganizationInfo> GetOrganizationInfoAsync(CancellationToken cancellationToken);
}
