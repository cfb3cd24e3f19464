using Microsoft.AspNetCore.Http;

namespace VaultAI.Billing.Entitlements;

/// <summary>How entitlements are decided and refused (<c>VaultAI:Billing:Entitlements</c>).</summary>
public sealed class EntitlementOptions
{
    /// <summary>Whether an organization not yet linked to Stripe (<c>pending</c>) is entitled.</summary>
    /// <value>The default is <see langword="true"/>: a new instance works before anyone links it.</value>
    public bool PendingEntitled { get; set; } = true;

    /// <summary>
    /// Where a refused caller can upgrade or pay, sent as <c>upgrade_url</c>; <c>{organizationId}</c> is replaced by the
    /// organization's id. For example <c>https://app.example.com/billing?org={organizationId}</c>.
    /// </summary>
    /// <value>The default is <see langword="null"/> (no <c>upgrade_url</c> is sent).</value>
    public string? UpgradeUrlTemplate { get; set; }

    /// <summary>
    /// Finds the organization a request acts for, for <c>RequireEntitlement</c> and <c>RecordUsage</c> on a host's own
    /// endpoints; <see cref="EntitlementOrganization"/> has ready-made resolvers (claim, route value, header). A request it
    /// answers <see langword="null"/> for is refused with 401 <c>organization_required</c>.
    /// </summary>
    /// <value>The default is <see langword="null"/>: set it before using the endpoint filters.</value>
    public Func<HttpContext, Guid?>? OrganizationResolver { get; set; }
}

/// <summary>Ready-made organization resolvers for <see cref="EntitlementOptions.OrganizationResolver"/>.</summary>
public static class EntitlementOrganization
{
    /// <summary>Reads the organization id from a claim of the authenticated user.</summary>
    /// <param name="claimType">The claim type, for example <c>org_id</c>.</param>
    /// <returns>The resolver.</returns>
    public static Func<HttpContext, Guid?> FromClaim(string claimType) =>
        context => Parse(context.User.FindFirst(claimType)?.Value);

    /// <summary>Reads the organization id from a route value, for example <c>{organizationId}</c>.</summary>
    /// <param name="name">The route value's name.</param>
    /// <returns>The resolver.</returns>
    public static Func<HttpContext, Guid?> FromRouteValue(string name) =>
        context => Parse(context.Request.RouteValues.TryGetValue(name, out var value) ? value?.ToString() : null);

    /// <summary>Reads the organization id from a request header. Only use it behind something that authenticates the header.</summary>
    /// <param name="name">The header, for example <c>X-Organization-Id</c>.</param>
    /// <returns>The resolver.</returns>
    public static Func<HttpContext, Guid?> FromHeader(string name) =>
        context => Parse(First(context.Request.Headers[name]));

    private static Guid? Parse(string? text) => Guid.TryParse(text, out var id) ? id : null;

    // Indexed rather than LINQ's FirstOrDefault, which boxes the header values on every request.
    private static string? First(Microsoft.Extensions.Primitives.StringValues values) => values.Count > 0 ? values[0] : null;
}
