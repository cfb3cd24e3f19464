namespace VaultAI.Billing.Client;

/// <summary>The identity of this instance's organization, as sent to the billing host.</summary>
/// <param name="OrganizationId">The organization id (a UUID chosen by the instance, stable for its lifetime).</param>
/// <param name="OrganizationName">The display name of the organization.</param>
/// <param name="InstanceUrl">The public URL or host name of the instance.</param>
/// <param name="ContactEmail">The administrator's e-mail address, sent at registration; optional.</param>
public sealed record OrganizationInfo(Guid OrganizationId, string OrganizationName, string InstanceUrl, string? ContactEmail = null);
