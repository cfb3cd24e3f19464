namespace VaultAI.Billing.Stripe.Internal;

/// <summary>Stripe.net reads Stripe's unix times as UTC <see cref="DateTime"/>s; our model keeps <see cref="DateTimeOffset"/>s.</summary>
internal static class StripeTime
{
    public static DateTimeOffset ToUtcOffset(this DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    public static DateTimeOffset? ToUtcOffset(this DateTime? value) => value?.ToUtcOffset();
}
