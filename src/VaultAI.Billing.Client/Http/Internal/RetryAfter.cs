using System.Net;

namespace VaultAI.Billing.Client;

/// <summary>Reads the delay a <c>Retry-After</c> header asks for (delta seconds or an HTTP date), capped.</summary>
internal static class RetryAfter
{
    public static TimeSpan? GetDelay(HttpResponseMessage? response, DateTimeOffset now, TimeSpan cap)
    {
        if (response is null
            || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
            || response.Headers.RetryAfter is not { } header)
        {
            return null;
        }

        TimeSpan? delay = header.Delta ?? (header.Date is { } date ? date - now : null);
        if (delay is not { } value)
        {
            return null;
        }

        if (value < TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        return value > cap ? cap : value;
    }
}
