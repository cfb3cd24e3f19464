namespace VaultAI.Billing.Testing;

/// <summary>What happens when the emulator charges a customer's invoice.</summary>
public enum PaymentOutcome
{
    /// <summary>The payment succeeds (the default for every customer).</summary>
    Succeeds,

    /// <summary>The payment is declined.</summary>
    Fails,
}
