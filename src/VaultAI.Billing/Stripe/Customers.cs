using VaultAI.Billing.Stripe.Internal;

namespace VaultAI.Billing.Stripe;

/// <summary>A Stripe customer.</summary>
public sealed record StripeCustomer
{
    /// <summary>Gets the id (<c>cus_...</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Gets the e-mail address.</summary>
    public string? Email { get; init; }

    /// <summary>Gets the name.</summary>
    public string? Name { get; init; }

    /// <summary>Gets the description.</summary>
    public string? Description { get; init; }

    /// <summary>Gets the metadata.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>Gets when the customer was created.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Gets a value indicating whether the object lives in live mode.</summary>
    public bool Livemode { get; init; }
}

/// <summary>Parameters of <c>POST /v1/customers</c>. Properties left <see langword="null"/> are not sent.</summary>
public class CustomerCreateOptions
{
    /// <summary>Gets or sets the e-mail address.</summary>
    public string? Email { get; set; }

    /// <summary>Gets or sets the name.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets the description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets metadata; a <see langword="null"/> or empty value unsets that key.</summary>
    public IDictionary<string, string?>? Metadata { get; set; }

    internal FormParams ToForm() => new FormParams()
        .Add("email", Email)
        .Add("name", Name)
        .Add("description", Description)
        .Add("metadata", Metadata);
}

/// <summary>
/// Parameters of <c>POST /v1/customers/{id}</c>. Properties left <see langword="null"/> are not sent;
/// an empty string unsets the field.
/// </summary>
public sealed class CustomerUpdateOptions : CustomerCreateOptions
{
}

/// <summary>Parameters of <c>GET /v1/customers</c>.</summary>
public sealed class CustomerListOptions
{
    /// <summary>Gets or sets an e-mail address to filter by (exact, case-sensitive).</summary>
    public string? Email { get; set; }

    /// <summary>Gets or sets the page size (1 to 100).</summary>
    /// <value>The default is <see langword="null"/>: 100.</value>
    public int? Limit { get; set; }

    /// <summary>Gets or sets the id after which the listing starts.</summary>
    public string? StartingAfter { get; set; }

    /// <summary>Gets or sets the fields to expand, e.g. <c>data.default_source</c>.</summary>
    public IList<string>? Expand { get; set; }
}
