namespace VaultAI.Billing.Plans;

/// <summary>
/// Monthly recurring revenue from what subscriptions bill, in minor units: per linked organization, its base fee times its
/// quantity, its seats and its per-user price times its current user count, normalised to a month (a yearly subscription
/// counts a twelfth), plus the overage of its last paid or open invoice. Trialing organizations are counted apart, as
/// potential MRR.
/// </summary>
/// <param name="Totals">The MRR per currency.</param>
/// <param name="Plans">The MRR per plan of the catalog, in key order.</param>
public sealed record RevenueSummary(IReadOnlyList<CurrencyRevenue> Totals, IReadOnlyList<PlanRevenue> Plans);

/// <summary>The MRR of one currency.</summary>
/// <param name="Currency">The currency, lower case.</param>
/// <param name="Mrr">The MRR of paying organizations, in minor units.</param>
/// <param name="PotentialMrr">What trialing organizations would pay a month, in minor units.</param>
public sealed record CurrencyRevenue(string Currency, long Mrr, long PotentialMrr);

/// <summary>The MRR of one plan.</summary>
/// <param name="Plan">The plan key.</param>
/// <param name="DisplayName">The plan's display name.</param>
/// <param name="Currency">The plan's currency, lower case.</param>
/// <param name="Organizations">Paying organizations (active or past due) on the plan.</param>
/// <param name="Mrr">Their MRR, in minor units, overage included.</param>
/// <param name="Overage">The part of <paramref name="Mrr"/> that is last period's overage.</param>
/// <param name="TrialOrganizations">Trialing organizations on the plan.</param>
/// <param name="PotentialMrr">What they would pay a month, in minor units.</param>
public sealed record PlanRevenue(string Plan, string DisplayName, string Currency, int Organizations, long Mrr, long Overage, int TrialOrganizations, long PotentialMrr);
