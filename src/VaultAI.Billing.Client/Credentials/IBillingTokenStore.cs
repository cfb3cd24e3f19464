namespace VaultAI.Billing.Client;

/// <summary>Keeps the organization's billing token, issued once by the billing host at registration.</summary>
/// <remarks>The default is <see cref="FileBillingTokenStore"/>. Replace it to keep the token in a secret store.</remarks>
public interface IBillingTokenStore
{
    /// <summary>Returns the stored token, or <see langword="null"/> when none is stored yet.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The token or <see langword="null"/>.</returns>
    ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken);

    /// <summary>Stores the token durably, replacing any previous one.</summary>
    /// <param name="token">The token.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task completing once the token is durable.</returns>
    ValueTask SetTokenAsync(string token, CancellationToken cancellationToken);
}
