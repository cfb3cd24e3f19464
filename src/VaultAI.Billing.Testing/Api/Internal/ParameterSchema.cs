namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>
/// The parameters an endpoint accepts, written in bracket notation: <c>[]</c> stands for any array
/// index, <c>[*]</c> for any map key (e.g. <c>metadata[*]</c>). Anything else is rejected the way
/// Stripe does: 400 "Received unknown parameter: x" with <c>param</c> = x.
/// </summary>
internal sealed class ParameterSchema
{
    private readonly List<string[]> _patterns;

    public ParameterSchema(params string[] patterns)
    {
        _patterns = patterns.Select(p => FormNode.Split(p).ToArray()).ToList();
    }

    public void Validate(FormNode form)
    {
        foreach (var (key, _) in form.Pairs)
        {
            var segments = FormNode.Split(key);
            if (!_patterns.Any(p => Matches(p, segments)))
            {
                throw new StripeApiException(400, "invalid_request_error", $"Received unknown parameter: {key}", key, "parameter_unknown")
                {
                    BeforeExecution = true,
                };
            }
        }
    }

    private static bool Matches(string[] pattern, List<string> segments)
    {
        // A bare map or array name with an empty value ("metadata=") unsets it, like Stripe.
        if (segments.Count == 1 && pattern.Length > 1 && pattern[0] == segments[0] && pattern[1] is "*")
        {
            return true;
        }

        if (pattern.Length != segments.Count)
        {
            return false;
        }

        for (var i = 0; i < pattern.Length; i++)
        {
            var p = pattern[i];
            var s = segments[i];
            var ok = p switch
            {
                "" => s.Length == 0 || s.All(char.IsAsciiDigit),
                "*" => s.Length > 0,
                _ => string.Equals(p, s, StringComparison.Ordinal),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
