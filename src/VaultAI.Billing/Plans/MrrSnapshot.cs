namespace VaultAI.Billing.Plans;

/// <summary>
/// The MRR of one currency as the billing host saw it on one day (see <see cref="RevenueHistory"/>): the figures of
/// <see cref="RevenueSummary"/>, recorded again through the day, the last recording of the day kept.
/// </summary>
/// <param name="Day">The host's calendar day, UTC.</param>
/// <param name="Currency">The currency, lower case.</param>
/// <param name="Mrr">The MRR of paying organizations, in minor units, last period's overage included.</param>
/// <param name="PotentialMrr">What trialing organizations would pay a month, in minor units.</param>
/// <param name="PayingOrganizations">Organizations that pay (active or past due) in this currency.</param>
/// <param name="TrialingOrganizations">Organizations on a trial in this currency.</param>
/// <param name="RecordedAt">When these figures were computed (the host's clock).</param>
public sealed record MrrSnapshot(DateOnly Day, string Currency, long Mrr, long PotentialMrr, int PayingOrganizations, int TrialingOrganizations, DateTimeOffset RecordedAt);
