using Microsoft.AspNetCore.Http;
using VaultAI.Billing.Entitlements.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>
/// Guards a host's own endpoints with the organization's entitlement, and records their usage when they succeed. The
/// organization comes from <see cref="VaultAI.Billing.Entitlements.EntitlementOptions.OrganizationResolver"/>.
/// </summary>
public static class EntitlementEndpointExtensions
{
    /// <summary>
    /// Refuses the request with 402 problem details (<c>code</c>: <c>quota_exceeded</c>, <c>subscription_inactive</c> or
    /// <c>suspended</c>; <c>quota</c>; <c>upgrade_url</c>) unless the organization is entitled and the current period's
    /// recorded <paramref name="metric"/> plus <paramref name="cost"/> stays within its plan's hard limit.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint (or group) builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="metric">The metric key, for example <c>ai_tokens</c>.</param>
    /// <param name="cost">What one request costs.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireEntitlement<TBuilder>(this TBuilder builder, string metric, decimal cost = 1m)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireEntitlement(metric, _ => ValueTask.FromResult(cost));

    /// <summary>
    /// Like <see cref="RequireEntitlement{TBuilder}(TBuilder, string, decimal)"/>; with <paramref name="reserve"/>, a hard
    /// limit of a summed metric is checked and the cost reserved in one atomic database statement, so concurrent requests
    /// cannot pass the limit together (without it, they may: each checks before any records). <c>RecordUsage</c> records the
    /// usage and gives the reservation back in one transaction; a request that records nothing gives it back when it ends.
    /// Needs the Entity Framework store.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint (or group) builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="cost">What one request costs.</param>
    /// <param name="reserve">Whether to reserve the cost against the limit while the request runs.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireEntitlement<TBuilder>(this TBuilder builder, string metric, decimal cost, bool reserve)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        return builder.AddEndpointFilterFactory(EntitlementFilters.Require(metric, _ => ValueTask.FromResult(cost), reserve));
    }

    /// <summary>Like <see cref="RequireEntitlement{TBuilder}(TBuilder, string, decimal)"/>, with the cost computed from the request.</summary>
    /// <typeparam name="TBuilder">The endpoint (or group) builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="cost">Computes what this request costs (at least 0), for example from a header or the route.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireEntitlement<TBuilder>(this TBuilder builder, string metric, Func<HttpContext, ValueTask<decimal>> cost)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentNullException.ThrowIfNull(cost);
        return builder.AddEndpointFilterFactory(EntitlementFilters.Require(metric, cost, reserve: false));
    }

    /// <summary>
    /// Records <paramref name="cost"/> of <paramref name="metric"/> (through <c>IUsageRecorder</c>) when the endpoint
    /// succeeds (no exception, status below 400). The event id is the request's <c>Idempotency-Key</c> header when it
    /// has one, so a retried request is counted once. Put it after <c>RequireEntitlement</c> so both use the same cost.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint (or group) builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="cost">What one request costs.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RecordUsage<TBuilder>(this TBuilder builder, string metric, decimal cost = 1m)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RecordUsage(metric, _ => ValueTask.FromResult(cost));

    /// <summary>
    /// Like <see cref="RecordUsage{TBuilder}(TBuilder, string, decimal)"/>, with the cost computed from the request. When
    /// <c>RequireEntitlement</c> on the same metric already computed this request's cost, that value is recorded and
    /// <paramref name="cost"/> is not called again, so the check and the record cannot drift.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint (or group) builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="metric">The metric key.</param>
    /// <param name="cost">Computes what this request costs.</param>
    /// <returns>The builder.</returns>
    public static TBuilder RecordUsage<TBuilder>(this TBuilder builder, string metric, Func<HttpContext, ValueTask<decimal>> cost)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentNullException.ThrowIfNull(cost);
        return builder.AddEndpointFilterFactory(EntitlementFilters.Record(metric, cost));
    }
}
