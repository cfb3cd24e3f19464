using System.Text.Json.Nodes;

namespace VaultAI.Billing.Events;

/// <summary>An event to record in the billing event log.</summary>
/// <param name="Type">The type, one of <see cref="BillingEventTypes"/> (or a host's own, at most 64 characters).</param>
/// <param name="OrganizationId">The organization, if any.</param>
/// <param name="Actor">Who did it: <c>stripe</c>, <c>system</c>, <c>instance</c>, or <c>admin:&lt;name&gt;</c>.</param>
/// <param name="Data">Details (never a secret), or <see langword="null"/>.</param>
/// <param name="DeduplicationKey">When set, the event is recorded at most once with this key.</param>
public sealed record BillingEventEntry(string Type, Guid? OrganizationId, string Actor, JsonObject? Data = null, string? DeduplicationKey = null);

/// <summary>A query over the billing event log, newest first.</summary>
/// <param name="OrganizationId">Only this organization's events.</param>
/// <param name="Type">Only this type.</param>
/// <param name="Skip">Events to skip.</param>
/// <param name="Take">Events to return (1 to 1,000).</param>
public sealed record BillingEventQuery(Guid? OrganizationId = null, string? Type = null, int Skip = 0, int Take = 100);

/// <summary>A page of the billing event log.</summary>
/// <param name="Items">The events, newest first.</param>
/// <param name="Matching">How many events match the query.</param>
public sealed record BillingEventPage(IReadOnlyList<BillingEvent> Items, int Matching);
