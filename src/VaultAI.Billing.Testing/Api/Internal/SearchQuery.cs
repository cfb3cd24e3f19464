using System.Text.RegularExpressions;
using VaultAI.Billing.Testing.State.Internal;

namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>
/// The subset of Stripe's search query language the emulator understands: exact-match clauses
/// <c>email:'x'</c>, <c>name:'x'</c> and <c>metadata['key']:'x'</c>, joined with <c>AND</c>.
/// </summary>
internal sealed partial class SearchQuery
{
    private SearchQuery(string field, string? metadataKey, string value)
    {
        Field = field;
        MetadataKey = metadataKey;
        Value = value;
    }

    public string Field { get; }

    public string? MetadataKey { get; }

    public string Value { get; }

    public static List<SearchQuery> Parse(string query)
    {
        var result = new List<SearchQuery>();
        foreach (var part in AndSeparator().Split(query.Trim()))
        {
            var match = Clause().Match(part.Trim());
            if (!match.Success)
            {
                throw StripeApiException.Invalid($"Invalid search query: {query}. The emulator supports email:'x', name:'x' and metadata['key']:'x' clauses joined with AND.", "query");
            }

            var field = match.Groups["field"].Value;
            var key = match.Groups["key"].Success ? match.Groups["key"].Value : null;
            if (field == "metadata" && key is null || field is not ("metadata" or "email" or "name"))
            {
                throw StripeApiException.Invalid($"Field '{field}' is an unsupported search field for resource customer.", "query");
            }

            result.Add(new SearchQuery(field, key, match.Groups["value"].Value));
        }

        return result;
    }

    public bool Matches(Customer customer) => Field switch
    {
        "email" => string.Equals(customer.Email, Value, StringComparison.OrdinalIgnoreCase),
        "name" => string.Equals(customer.Name, Value, StringComparison.OrdinalIgnoreCase),
        _ => customer.Metadata.TryGetValue(MetadataKey!, out var v) && v == Value,
    };

    [GeneratedRegex(@"\s+AND\s+", RegexOptions.CultureInvariant)]
    private static partial Regex AndSeparator();

    [GeneratedRegex(@"^(?<field>[a-z_]+)(\[\s*['""](?<key>[^'""]+)['""]\s*\])?\s*:\s*['""](?<value>[^'""]*)['""]$", RegexOptions.CultureInvariant)]
    private static partial Regex Clause();
}
