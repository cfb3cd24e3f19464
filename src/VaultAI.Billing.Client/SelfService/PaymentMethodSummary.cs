namespace VaultAI.Billing.Client;

/// <summary>A payment method on file for the organization (read only: changes go through the billing portal).</summary>
public sealed record PaymentMethodSummary
{
    /// <summary>Gets the Stripe payment method id (<c>pm_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the card brand, for example <c>visa</c>, when the method is a card.</summary>
    public string? Brand { get; init; }

    /// <summary>Gets the last four digits of the card.</summary>
    public string? Last4 { get; init; }

    /// <summary>Gets the card's expiry month (1 to 12).</summary>
    public int? ExpMonth { get; init; }

    /// <summary>Gets the card's expiry year (four digits).</summary>
    public int? ExpYear { get; init; }

    /// <summary>Gets a value indicating whether invoices are charged to this method by default.</summary>
    public bool IsDefault { get; init; }
}
