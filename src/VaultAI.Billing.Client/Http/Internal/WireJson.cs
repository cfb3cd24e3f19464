using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace VaultAI.Billing.Client;

/// <summary>The JSON conventions of the billing host's wire contract: snake_case, nulls omitted.</summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    public static ByteArrayContent Content<T>(T value)
    {
        // Serialized up front so that every retry attempt re-sends the same bytes.
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, Options));
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    /// <summary>Formats a wire timestamp as <c>yyyy-MM-ddTHH:mm:ssZ</c> (UTC, whole seconds).</summary>
    public static string FormatTimestamp(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static async Task<BillingProblemDetails?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync<BillingProblemDetails>(stream, Options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

internal sealed record RegisterRequest(Guid OrganizationId, string OrganizationName, string InstanceUrl, string? Email);

internal sealed record RegisterResponse(
    bool Success,
    Guid OrganizationId,
    string? BillingToken,
    string? OrganizationStatus,
    string? StripeCustomerId,
    string? StripeSubscriptionId,
    DateTimeOffset? TrialEnd,
    bool AlreadyRegistered);

internal sealed record UsageReportRequest(Guid OrganizationId, string OrganizationName, string InstanceUrl, long UserCount, string Timestamp);

internal sealed record UsageReportResponse(bool Success, string? Message, string? ReportId, string? OrganizationStatus, bool Duplicate);

internal sealed record StatusResponse(
    Guid OrganizationId,
    string? OrganizationName,
    string? SubscriptionStatus,
    bool TrialActive,
    DateTimeOffset? TrialEnd,
    string? PlanType,
    string? DeploymentType,
    SubscriptionPeriod? StripeSubscription,
    JsonElement? Entitlements);
