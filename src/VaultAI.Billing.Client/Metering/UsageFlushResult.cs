namespace VaultAI.Billing.Client;

/// <summary>How one pass over the usage event spool ended.</summary>
/// <param name="Accepted">Events the host stored for the first time in this pass.</param>
/// <param name="Duplicates">Events the host already had (sent before, for example before a crash); not counted again.</param>
/// <param name="Rejected">Events the host refused for good, moved to the spool's <c>events/rejected/</c> folder.</param>
/// <param name="Pending">Events still in the spool after the pass (the host could not be reached, or the token is refused).</param>
/// <param name="Completed"><see langword="true"/> when the pass sent everything it found; <see langword="false"/> when it stopped on a failure a later pass may fix.</param>
public sealed record UsageFlushResult(int Accepted, int Duplicates, int Rejected, int Pending, bool Completed);
