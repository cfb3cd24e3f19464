namespace VaultAI.Billing.Credentials;

/// <summary>
/// How instance tokens are checked (<c>VaultAI:Billing:Credentials</c>). Each host keeps verified token hashes in memory for
/// <see cref="CacheDuration"/>, so a report needs no credential query; a rotation or revocation takes effect at once on the
/// host that made it, and on every other host within <see cref="CacheDuration"/>.
/// </summary>
public sealed class CredentialOptions
{
    /// <summary>
    /// How long a host trusts a token it verified before asking the database again: the longest time a token rotated or revoked
    /// on another host keeps working here. <see cref="TimeSpan.Zero"/> turns the cache off. At most 10 minutes.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many verified tokens a host keeps in memory at most (unknown tokens are never cached).</summary>
    /// <value>The default value is 100,000.</value>
    public int CacheSize { get; set; } = 100_000;
}
