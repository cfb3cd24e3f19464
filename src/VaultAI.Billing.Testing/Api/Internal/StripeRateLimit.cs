using System.Diagnostics;

namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>
/// A per-account call limit as Stripe enforces it: a bucket of one second's worth of calls, refilled continuously in
/// real time. A call that finds the bucket empty is answered 429 <c>rate_limit</c> and not executed.
/// </summary>
internal sealed class StripeRateLimit(int perSecond)
{
    private readonly Lock _gate = new();
    private double _tokens = perSecond;
    private long _refilledAt = Stopwatch.GetTimestamp();

    public bool TryTake()
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(perSecond, _tokens + (Stopwatch.GetElapsedTime(_refilledAt, now).TotalSeconds * perSecond));
            _refilledAt = now;
            if (_tokens < 1)
            {
                return false;
            }

            _tokens--;
            return true;
        }
    }
}
