namespace VaultAI.Billing.Client;

/// <summary>The organization's credit balance, which Stripe applies to its next invoices, and how it moved.</summary>
public sealed record CreditBalance
{
    /// <summary>
    /// Gets the credit available, in the currency's minor unit (cents): positive when the organization has credit,
    /// negative when it owes an amount that will be added to its next invoice.
    /// </summary>
    public long Balance { get; init; }

    /// <summary>Gets the ISO currency code of the balance in lower case, or <see langword="null"/> while the balance never moved.</summary>
    public string? Currency { get; init; }

    /// <summary>Gets the movements of the balance, newest first.</summary>
    public IReadOnlyList<CreditTransaction> History { get; init; } = [];
}

/// <summary>One movement of the credit balance.</summary>
/// <param name="Id">The Stripe customer balance transaction id (<c>cbtxn_...</c>).</param>
/// <param name="Amount">The change in minor units: positive when credit was granted, negative when it was removed or consumed by an invoice.</param>
/// <param name="Currency">The ISO currency code in lower case.</param>
/// <param name="Description">Why the balance moved (the reason given when credit was granted), if known.</param>
/// <param name="Created">When the balance moved.</param>
public sealed record CreditTransaction(string Id, long Amount, string Currency, string? Description, DateTimeOffset Created);
