namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Returned by <c>AddVaultAIBillingClient</c> to plug in the instance's own services.</summary>
public interface IVaultAIBillingClientBuilder
{
    /// <summary>Gets the service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Gets the builder of the HTTP client that talks to the billing host (for example to add a proxy or a handler).</summary>
    IHttpClientBuilder HttpClient { get; }
}
