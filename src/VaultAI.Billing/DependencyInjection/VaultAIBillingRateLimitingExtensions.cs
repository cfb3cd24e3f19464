using Microsoft.Extensions.DependencyInjection.Extensions;
using VaultAI.Billing;
using VaultAI.Billing.Credentials;
using VaultAI.Billing.Credentials.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Rate limits of the instance routes, keyed on what the library verified.</summary>
public static class VaultAIBillingRateLimitingExtensions
{
    /// <summary>
    /// Limits the instance routes: <see cref="InstanceRateLimitOptions.RequestsPerMinutePerOrganization"/> per organization
    /// whose token is valid, and <see cref="InstanceRateLimitOptions.UnauthenticatedRequestsPerMinutePerAddress"/> per client
    /// address for registrations and failed authentications. Over a limit the answer is 429 problem details
    /// (<c>code: rate_limited</c>) with <c>Retry-After</c>. Without this call the instance routes are not limited.
    /// </summary>
    /// <param name="builder">The billing builder.</param>
    /// <param name="configure">Sets the limits; the defaults are 60 and 20 a minute.</param>
    /// <returns>The builder.</returns>
    public static IVaultAIBillingBuilder AddInstanceRateLimits(this IVaultAIBillingBuilder builder, Action<InstanceRateLimitOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<InstanceRateLimitOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.TryAddSingleton<InstanceRequestLimiter>();
        return builder;
    }
}
