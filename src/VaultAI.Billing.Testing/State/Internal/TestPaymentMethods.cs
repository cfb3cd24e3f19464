using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>
/// The test payment methods of Stripe test mode that the emulator knows: ids that attach to a customer,
/// and whether charging them later succeeds.
/// </summary>
internal static class TestPaymentMethods
{
    // pm_card_chargeCustomerFail attaches but every later charge fails; the others charge successfully.
    private static readonly Dictionary<string, PaymentOutcome> Known = new(StringComparer.Ordinal)
    {
        ["pm_card_visa"] = PaymentOutcome.Succeeds,
        ["pm_card_mastercard"] = PaymentOutcome.Succeeds,
        ["pm_card_amex"] = PaymentOutcome.Succeeds,
        ["pm_card_chargeCustomerFail"] = PaymentOutcome.Fails,
    };

    /// <summary>Gets the outcome of charging <paramref name="id"/>; an unknown id is Stripe's 400 <c>resource_missing</c>.</summary>
    public static PaymentOutcome Resolve(string id, string param) =>
        Known.TryGetValue(id, out var outcome)
            ? outcome
            : throw StripeApiException.Invalid($"No such PaymentMethod: '{id}'", param, "resource_missing");
}
