namespace VaultAI.Billing.Storage;

/// <summary>
/// Lets one host at a time run a job that every host schedules (the daily reconciliation). On PostgreSQL it is a
/// session advisory lock held while the job runs; a host that dies releases it with its connection.
/// </summary>
public interface IBillingJobLock
{
    /// <summary>Takes the job's lock if no other host holds it.</summary>
    /// <param name="job">The job's name, for example <c>reconciliation</c>.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The held lock (dispose it to release), or <see langword="null"/> when another host holds it.</returns>
    Task<IAsyncDisposable?> TryAcquireAsync(string job, CancellationToken cancellationToken = default);
}
