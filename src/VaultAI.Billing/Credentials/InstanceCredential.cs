namespace VaultAI.Billing.Credentials;

/// <summary>
/// A per-organization instance token, stored only as its SHA-256 hash. One organization has at most
/// one active credential; rotated and revoked ones are kept for the audit trail.
/// </summary>
public sealed class InstanceCredential
{
    /// <summary>The credential id.</summary>
    public Guid Id { get; set; }

    /// <summary>The organization the token acts for.</summary>
    public Guid OrganizationId { get; set; }

    /// <summary>Lowercase hex SHA-256 of the token.</summary>
    public string TokenHash { get; set; } = "";

    /// <summary>The first characters of the token, safe to show to an administrator.</summary>
    public string TokenPrefix { get; set; } = "";

    /// <summary>When the token was issued.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the token was revoked (rotated or revoked by an administrator), if it was.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>When the token was last used successfully.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }
}
