namespace VaultAI.Billing.Events;

/// <summary>The actors of <see cref="BillingEvent.Actor"/> that are not a person.</summary>
public static class BillingActors
{
    /// <summary>Stripe (a webhook).</summary>
    public const string Stripe = "stripe";

    /// <summary>The billing service itself (a background job, a quota check).</summary>
    public const string System = "system";

    /// <summary>The organization's own instance or app (its billing token).</summary>
    public const string Instance = "instance";

    /// <summary>An administrator, named.</summary>
    /// <param name="name">The administrator's name (from the admin policy's user), or <see langword="null"/>.</param>
    /// <returns><c>admin:&lt;name&gt;</c>, or <c>admin</c>.</returns>
    public static string Admin(string? name) => string.IsNullOrWhiteSpace(name) ? "admin" : $"admin:{name}";
}
