namespace VaultAI.Billing.Linking;

/// <summary>What an administrator decides when linking an organization to Stripe.</summary>
public sealed record LinkRequest
{
    /// <summary>The billing contact; becomes the Stripe customer's e-mail.</summary>
    public required string AdminEmail { get; init; }

    /// <summary><c>on-premise</c> or <c>managed-cloud</c>.</summary>
    public required string DeploymentType { get; init; }

    /// <summary>A plan key of the catalog.</summary>
    public required string PlanKey { get; init; }

    /// <summary>Trial days; <see langword="null"/> uses the configured default.</summary>
    public int? TrialDays { get; init; }

    /// <summary><c>monthly</c> (default) or <c>yearly</c>.</summary>
    public string? BillingInterval { get; init; }
}

/// <summary>The deployment types an administrator can set.</summary>
public static class DeploymentTypes
{
    /// <summary>The instance runs on the customer's own infrastructure.</summary>
    public const string OnPremise = "on-premise";

    /// <summary>The instance is hosted by VaultAI.</summary>
    public const string ManagedCloud = "managed-cloud";

    /// <summary>Whether <paramref name="value"/> is a known deployment type.</summary>
    public static bool IsValid(string? value) => value is OnPremise or ManagedCloud;
}
