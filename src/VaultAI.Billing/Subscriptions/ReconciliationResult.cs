namespace VaultAI.Billing.Subscriptions;

/// <summary>What one reconciliation run did.</summary>
/// <param name="Read">Subscriptions read from Stripe.</param>
/// <param name="Matched">Of those, the ones an organization is linked to.</param>
/// <param name="Repaired">Organizations whose status, plan, period, trial or cancellation differed and were repaired.</param>
public sealed record ReconciliationResult(int Read, int Matched, int Repaired);
