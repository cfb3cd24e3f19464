using System.Net.Http.Headers;
using System.Text;

namespace VaultAI.Billing.Testing.Webhooks.Internal;

/// <summary>Queues signed webhook deliveries and sends them one at a time, retrying failures with backoff.</summary>
internal sealed class WebhookDispatcher : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<Uri> _endpoints = [];
    private readonly List<PendingDelivery> _pending = [];
    private readonly List<WebhookDelivery> _delivered = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly string _secret;
    private readonly StripeEmulatorOptions _options;
    private Task? _loop;
    private Random _random = new();
    private bool _held;
    private bool _shuffle;
    private int _dropNext;
    private int _inFlight;

    public WebhookDispatcher(TimeProvider clock, string secret, StripeEmulatorOptions options)
    {
        _clock = clock;
        _secret = secret;
        _options = options;
        _held = !options.DeliverWebhooksAutomatically;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public bool DeliverTwice { get; set; }

    public int EndpointCount
    {
        get
        {
            lock (_gate)
            {
                return _endpoints.Count;
            }
        }
    }

    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    public bool IsHeld
    {
        get
        {
            lock (_gate)
            {
                return _held;
            }
        }
    }

    public IReadOnlyList<WebhookDelivery> Delivered
    {
        get
        {
            lock (_gate)
            {
                return _delivered.ToArray();
            }
        }
    }

    public void Start() => _loop = Task.Run(RunAsync);

    public void AddEndpoint(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException("The webhook endpoint must be an absolute URL.", nameof(url));
        }

        lock (_gate)
        {
            _endpoints.Add(url);
        }
    }

    public void Enqueue(string eventId, string eventType, string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        lock (_gate)
        {
            foreach (var endpoint in _endpoints)
            {
                for (var copy = 0; copy < (DeliverTwice ? 2 : 1); copy++)
                {
                    if (_dropNext > 0)
                    {
                        _dropNext--;
                        _delivered.Add(new WebhookDelivery(eventId, eventType, endpoint, 0, null, false, true));
                        continue;
                    }

                    _pending.Add(new PendingDelivery(eventId, eventType, endpoint, payload));
                }
            }
        }

        _signal.Release();
    }

    public void SetShuffle(bool enabled, int? seed)
    {
        lock (_gate)
        {
            _shuffle = enabled;
            _random = seed is { } s ? new Random(s) : new Random();
        }
    }

    public void Hold()
    {
        lock (_gate)
        {
            _held = true;
        }
    }

    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _held = false;
        }

        _signal.Release();
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public void DropNext(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            _dropNext += count;
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        _signal.Release();
        while (true)
        {
            lock (_gate)
            {
                if (_inFlight == 0 && (_pending.Count == 0 || _held))
                {
                    return;
                }
            }

            // Deliveries run on real time; a short poll keeps this simple and free of lost wake-ups.
            await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (TryTake(out var delivery))
            {
                try
                {
                    var result = await DeliverAsync(delivery, token).ConfigureAwait(false);
                    lock (_gate)
                    {
                        _delivered.Add(result);
                    }
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
                finally
                {
                    lock (_gate)
                    {
                        _inFlight--;
                    }
                }
            }
        }
    }

    private bool TryTake(out PendingDelivery delivery)
    {
        lock (_gate)
        {
            if (_held || _pending.Count == 0)
            {
                delivery = null!;
                return false;
            }

            var index = _shuffle ? _random.Next(_pending.Count) : 0;
            delivery = _pending[index];
            _pending.RemoveAt(index);
            _inFlight++;
            return true;
        }
    }

    private async Task<WebhookDelivery> DeliverAsync(PendingDelivery delivery, CancellationToken cancellationToken)
    {
        int? lastStatus = null;
        for (var attempt = 1; attempt <= _options.WebhookMaxAttempts; attempt++)
        {
            var timestamp = _clock.GetUtcNow().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Endpoint);
            var content = new ByteArrayContent(delivery.Payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Content = content;
            request.Headers.TryAddWithoutValidation("Stripe-Signature", StripeWebhookSignature.CreateHeader(_secret, timestamp, delivery.Payload));
            request.Headers.TryAddWithoutValidation("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.WebhookTimeout);
            try
            {
                using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                lastStatus = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return new WebhookDelivery(delivery.EventId, delivery.EventType, delivery.Endpoint, attempt, lastStatus, true, false);
                }
            }
            catch (HttpRequestException)
            {
                lastStatus = null;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastStatus = null;
            }

            if (attempt < _options.WebhookMaxAttempts)
            {
                var delay = _options.WebhookRetryBaseDelay * Math.Pow(2, attempt - 1);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }

        return new WebhookDelivery(delivery.EventId, delivery.EventType, delivery.Endpoint, _options.WebhookMaxAttempts, lastStatus, false, false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _http.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }

    private sealed record PendingDelivery(string EventId, string EventType, Uri Endpoint, byte[] Payload);
}
