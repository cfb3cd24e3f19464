namespace VaultAI.Billing.Client;

/// <summary>Counts the instance's active users; implemented by the instance and called once per daily report.</summary>
public interface IActiveUserCounter
{
    /// <summary>Returns the number of active users to bill for today.</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The number of active users (zero or more).</returns>
    ValueTask<long> CountActiveUsersAsync(CancellationToken cancellationToken);
}
