namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>The tiers of a price with <c>billing_scheme=tiered</c>.</summary>
internal sealed partial class Price
{
    public string BillingScheme { get; private set; } = "per_unit";

    public string? TiersMode { get; private set; }

    public IReadOnlyList<PriceTier> Tiers { get; private set; } = [];

    public bool IsTiered => BillingScheme == "tiered";

    public void ApplyTiering(Tiering? tiering)
    {
        if (tiering is not null)
        {
            BillingScheme = "tiered";
            TiersMode = tiering.Mode;
            Tiers = tiering.Tiers;
        }
    }
}

/// <summary>One tier: units up to <see cref="UpTo"/> (inclusive; <see langword="null"/> is <c>inf</c>) cost the unit amount each, plus the flat amount.</summary>
internal sealed record PriceTier(long? UpTo, decimal? UnitAmountDecimal, decimal? FlatAmountDecimal);

/// <summary>The tiering of a new price, as read from the request.</summary>
internal sealed record Tiering(string Mode, IReadOnlyList<PriceTier> Tiers);
