namespace VaultAI.Billing.Client;

/// <summary>
/// A usage event the billing host refused for good (for example a metric its catalog does not know, or more decimals than
/// the metric allows), kept in the spool's <c>events/rejected/</c> folder and never sent again. Fix the cause, then record
/// the usage again (with a new id, or the same id once the host accepts it).
/// </summary>
/// <param name="Id">The event's id.</param>
/// <param name="Metric">The metric key it named.</param>
/// <param name="Quantity">Its quantity.</param>
/// <param name="Timestamp">When the usage happened.</param>
/// <param name="HttpStatus">The host's HTTP status (400 for a bad event), or <see langword="null"/> for a spool file that could not be read.</param>
/// <param name="Code">The host's error code, for example <c>unknown_metric</c> or <c>too_many_decimals</c>.</param>
/// <param name="Field">The field the host named, for example <c>events[3].quantity</c>.</param>
/// <param name="Path">The quarantined file.</param>
public sealed record RejectedUsageEvent(string Id, string Metric, decimal Quantity, DateTimeOffset Timestamp, int? HttpStatus, string? Code, string? Field, string Path);
