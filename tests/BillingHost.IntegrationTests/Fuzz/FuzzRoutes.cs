namespace BillingHost.IntegrationTests.Fuzz;

/// <summary>What a JSON field holds, so the generator can pick hostile values that matter for it.</summary>
internal enum FieldKind
{
    Id,
    Text,
    Email,
    Integer,
    Timestamp,
    Url,
    Choice,
}

/// <summary>A field of a route's body, with a valid JSON literal to start from.</summary>
internal sealed record FuzzField(string Name, FieldKind Kind, string ValidJson);

/// <summary>Who the request is from.</summary>
internal enum FuzzCaller
{
    /// <summary>Nobody: no credential.</summary>
    Anonymous,

    /// <summary>An instance with its organization's billing token (sometimes a wrong or malformed one).</summary>
    Instance,

    /// <summary>An administrator with the admin API key.</summary>
    Admin,
}

/// <summary>
/// One route of the API under fuzz. <see cref="Path"/> gets the organization id to put in the path (or a hostile one).
/// <see cref="Body"/> is empty for routes without a JSON body; <see cref="Query"/> names query parameters to fuzz.
/// </summary>
/// <remarks>
/// Extension point: a route whose requests need more than a body and headers (the Stripe webhook needs a signature over
/// the raw body) sets <see cref="Prepare"/>, which runs on every request just before it is sent and may add headers
/// computed from the final body bytes. Add such a route to <see cref="FuzzRoutes.All"/> (or build a list of your own and
/// call <see cref="ApiFuzzer.RunAsync"/> with it); the assertions (no 5xx, problem details with a code, nothing written
/// for a rejected request) apply unchanged.
/// </remarks>
internal sealed record FuzzRoute(
    string Name,
    HttpMethod Method,
    Func<string, string> Path,
    FuzzCaller Caller,
    IReadOnlyList<FuzzField> Body,
    int Cases,
    bool PathTargetsRealOrganization = true,
    IReadOnlyList<string>? Query = null,
    Func<HttpRequestMessage, byte[], Task>? Prepare = null)
{
    public bool HasBody => Body.Count > 0;

    public bool HasPathId => Path("{id}").Contains("{id}", StringComparison.Ordinal);
}

/// <summary>Every JSON route of the instance and admin APIs, as <c>MapVaultAIBilling</c> maps them.</summary>
internal static class FuzzRoutes
{
    /// <summary>A valid report timestamp: recent enough to be billable.</summary>
    public const string Now = "\"2026-11-03T03:00:00Z\"";

    public static IReadOnlyList<FuzzRoute> All(string organizationId) =>
    [
        // Instance API.
        new("register", HttpMethod.Post, _ => "/api/organizations/register", FuzzCaller.Anonymous,
        [
            new("organization_id", FieldKind.Id, "\"{new}\""),
            new("organization_name", FieldKind.Text, "\"Acme Corp\""),
            new("instance_url", FieldKind.Url, "\"acme.example.com\""),
            new("email", FieldKind.Email, "\"ann@example.com\""),
        ], Cases: 480),
        new("usage-report", HttpMethod.Post, _ => "/api/usage-report", FuzzCaller.Instance,
        [
            new("organization_id", FieldKind.Id, $"\"{organizationId}\""),
            new("user_count", FieldKind.Integer, "12"),
            new("timestamp", FieldKind.Timestamp, Now),
            new("organization_name", FieldKind.Text, "\"Acme Corp\""),
            new("instance_url", FieldKind.Url, "\"acme.example.com\""),
        ], Cases: 480),
        new("meter-events", HttpMethod.Post, _ => "/api/meter-events", FuzzCaller.Instance,
        [
            new("organization_id", FieldKind.Id, $"\"{organizationId}\""),
            new("user_count", FieldKind.Integer, "12"),
            new("timestamp", FieldKind.Timestamp, Now),
            new("deployment_type", FieldKind.Choice, "\"on-premise\""),
        ], Cases: 480),
        new("status", HttpMethod.Get, id => $"/api/organizations/{id}/status", FuzzCaller.Instance, [], Cases: 110),
        new("entitlements-check", HttpMethod.Post, id => $"/api/organizations/{id}/entitlements/check", FuzzCaller.Instance,
        [
            new("metric", FieldKind.Choice, "\"active_users\""),
            new("quantity", FieldKind.Integer, "3"),
        ], Cases: 380),

        // Admin API.
        new("admin-list", HttpMethod.Get, _ => "/api/admin/organizations", FuzzCaller.Admin, [], Cases: 80, Query: ["skip", "take", "linked", "search", "status"]),
        new("admin-get", HttpMethod.Get, id => $"/api/admin/organizations/{id}", FuzzCaller.Admin, [], Cases: 70),
        new("admin-link", HttpMethod.Post, id => $"/api/admin/organizations/{id}/link", FuzzCaller.Admin,
        [
            new("admin_email", FieldKind.Email, "\"ann@example.com\""),
            new("deployment_type", FieldKind.Choice, "\"on-premise\""),
            new("plan_type", FieldKind.Choice, "\"no-such-plan\""), // a valid shape that is refused later: the org stays pending
            new("trial_days", FieldKind.Integer, "14"),
            new("billing_interval", FieldKind.Choice, "\"month\""),
        ], Cases: 380),
        new("admin-checkout", HttpMethod.Post, id => $"/api/admin/organizations/{id}/checkout", FuzzCaller.Admin,
        [
            new("plan_type", FieldKind.Choice, "\"no-such-plan\""),
            new("deployment_type", FieldKind.Choice, "\"on-premise\""),
            new("success_url", FieldKind.Url, "\"https://acme.example.com/ok\""),
            new("cancel_url", FieldKind.Url, "\"https://acme.example.com/cancel\""),
            new("customer_email", FieldKind.Email, "\"ann@example.com\""),
            new("trial_days", FieldKind.Integer, "14"),
            new("billing_interval", FieldKind.Choice, "\"month\""),
        ], Cases: 380),
        new("admin-portal", HttpMethod.Post, id => $"/api/admin/organizations/{id}/portal", FuzzCaller.Admin,
        [
            new("return_url", FieldKind.Url, "\"https://acme.example.com/billing\""),
        ], Cases: 220),
        // Routes that change an organization: the path never names a real one, so only refusals are exercised.
        new("admin-sync", HttpMethod.Post, id => $"/api/admin/organizations/{id}/sync", FuzzCaller.Admin, [], Cases: 60, PathTargetsRealOrganization: false),
        new("admin-cancel", HttpMethod.Post, id => $"/api/admin/organizations/{id}/cancel", FuzzCaller.Admin, [], Cases: 70, PathTargetsRealOrganization: false, Query: ["at_period_end"]),
        new("admin-rotate-token", HttpMethod.Post, id => $"/api/admin/organizations/{id}/rotate-token", FuzzCaller.Admin, [], Cases: 60, PathTargetsRealOrganization: false),
        new("admin-revoke-token", HttpMethod.Post, id => $"/api/admin/organizations/{id}/revoke-token", FuzzCaller.Admin, [], Cases: 60, PathTargetsRealOrganization: false),
        new("admin-meter-events", HttpMethod.Get, _ => "/api/admin/meter-events", FuzzCaller.Admin, [], Cases: 60, Query: ["status", "take"]),
        new("admin-meter-event-retry", HttpMethod.Post, id => $"/api/admin/meter-events/{id}/retry", FuzzCaller.Admin, [], Cases: 60, PathTargetsRealOrganization: false),
        new("admin-webhooks", HttpMethod.Get, _ => "/api/admin/webhooks", FuzzCaller.Admin, [], Cases: 60, Query: ["status"]),
        new("admin-webhook-retry", HttpMethod.Post, id => $"/api/admin/webhooks/{id}/retry", FuzzCaller.Admin, [], Cases: 60, PathTargetsRealOrganization: false),
        new("admin-webhook-replay", HttpMethod.Post, _ => "/api/admin/webhooks/replay", FuzzCaller.Admin, [], Cases: 60, Query: ["since"]),
    ];
}
