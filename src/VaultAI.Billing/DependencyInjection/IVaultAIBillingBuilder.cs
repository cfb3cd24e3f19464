using Microsoft.Extensions.DependencyInjection;

namespace VaultAI.Billing;

/// <summary>Returned by <c>AddVaultAIBilling()</c>; store packages extend it (for example <c>AddEntityFrameworkStore</c>).</summary>
public interface IVaultAIBillingBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }
}

internal sealed class VaultAIBillingBuilder(IServiceCollection services) : IVaultAIBillingBuilder
{
    public IServiceCollection Services { get; } = services;
}
