using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Client;

/// <summary>Gives the organization's identity from a registered <see cref="IOrganizationInfoProvider"/>, else from options.</summary>
internal sealed class OrganizationInfoResolver(IServiceProvider services, IOptions<VaultAIBillingClientOptions> options)
{
    public async ValueTask<OrganizationInfo> GetAsync(CancellationToken cancellationToken)
    {
        var provider = services.GetService<IOrganizationInfoProvider>();
        if (provider is not null)
        {
            var info = await provider.GetOrganizationInfoAsync(cancellationToken).ConfigureAwait(false);
            if (info.OrganizationId == Guid.Empty)
            {
                throw new InvalidOperationException("The IOrganizationInfoProvider returned an empty organization id.");
            }

            return info;
        }

        var settings = options.Value;

        // Validated at start: these are present when no provider is registered.
        return new OrganizationInfo(settings.OrganizationId!.Value, settings.OrganizationName!, settings.InstanceUrl!, settings.ContactEmail);
    }
}
