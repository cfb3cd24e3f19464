namespace VaultAI.Billing.Testing;

/// <summary>The outcome of delivering one event to one endpoint.</summary>
/// <param name="EventId">The event id.</param>
/// <param name="EventType">The event type.</param>
/// <param name="Endpoint">The endpoint it was sent to.</param>
/// <param name="Attempts">How many HTTP attempts were made (0 when dropped).</param>
/// <param name="LastStatusCode">The last HTTP status received, or <see langword="null"/> when the connection failed or it was dropped.</param>
/// <param name="Succeeded">Whether an attempt got a 2xx answer.</param>
/// <param name="Dropped">Whether <see cref="EmulatorDeliveryControls.DropNext"/> discarded it without sending.</param>
public sealed record WebhookDelivery(string EventId, string EventType, Uri Endpoint, int Attempts, int? LastStatusCode, bool Succeeded, bool Dropped);
