using System.Net;
using System.Text.Json;

namespace VaultAI.Billing.Client;

/// <summary><see cref="IVaultAIBillingClient.CheckEntitlementAsync"/>: the host's answer, or the cached status while it is unreachable.</summary>
internal sealed partial class BillingClient
{
    public async Task<EntitlementCheck> CheckEntitlementAsync(string metric, long quantity, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(metric);
        ArgumentOutOfRangeException.ThrowIfNegative(quantity);
        var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/organizations/" + info.OrganizationId.ToString("D") + "/entitlements/check")
            {
                Content = WireJson.Content(new EntitlementCheckRequest(metric, quantity)),
            };
            using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PaymentRequired))
            {
                throw await FailureAsync(request, response, cancellationToken).ConfigureAwait(false);
            }

            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            return Read(body.RootElement, metric, response.StatusCode == HttpStatusCode.OK, _timeProvider.GetUtcNow());
        }
        catch (VaultAIBillingException ex) when (ex.IsTransient)
        {
            var cached = await _statusCache.GetAsync(info.OrganizationId, cancellationToken).ConfigureAwait(false);
            if (cached is null || _timeProvider.GetUtcNow() - cached.RetrievedAt > _options.EntitlementCacheMaxAge)
            {
                throw;
            }

            Log.StatusServedStale(_logger, cached.RetrievedAt, ex);
            var entitled = cached.Entitlements is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty("entitled", out var flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? flag.GetBoolean()
                : cached.SubscriptionStatus is "pending" or "trial" or "active";
            var reason = cached.Entitlements is { ValueKind: JsonValueKind.Object } r && r.TryGetProperty("reason", out var why) && why.ValueKind == JsonValueKind.String ? why.GetString() : null;
            return new EntitlementCheck
            {
                Allowed = entitled,
                Metric = metric,
                Code = entitled ? null : reason == "suspended" ? "suspended" : "subscription_inactive",
                Reason = reason,
                IsStale = true,
                RetrievedAt = cached.RetrievedAt,
            };
        }
    }

    private static EntitlementCheck Read(JsonElement body, string metric, bool allowed, DateTimeOffset now)
    {
        var quota = body.TryGetProperty("quota", out var q) && q.ValueKind == JsonValueKind.Object ? q : default;
        return new EntitlementCheck
        {
            Allowed = allowed,
            Metric = metric,
            Code = allowed ? null : Text(body, "code"),
            Reason = Text(body, "reason"),
            Detail = allowed ? null : Text(body, "detail"),
            Current = Number(quota, "current"),
            Limit = Number(quota, "limit"),
            Percentage = Number(quota, "percentage"),
            UpgradeUrl = Text(body, "upgrade_url"),
            OverQuota = body.TryGetProperty("over_quota", out var over) && over.ValueKind == JsonValueKind.True,
            RetrievedAt = now,
        };
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static decimal? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDecimal() : null;
}

internal sealed record EntitlementCheckRequest(string Metric, long Quantity);
