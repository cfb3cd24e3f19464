using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace VaultAI.Billing.Stripe.Internal;

/// <summary>
/// The <see cref="IStripeClient"/> over a typed <see cref="HttpClient"/>. This class is the client's only retry
/// layer: register no resilience handler on its HttpClient.
/// </summary>
internal sealed class StripeClient : IStripeClient
{
    internal const string HttpClientName = "VaultAI.Billing.Stripe";

    private const string FormContentType = "application/x-www-form-urlencoded";
    private const string JsonContentType = "application/json";
    private const int DefaultPageSize = 100;
    private const int MaxStreamEvents = 100;
    private const int MaxIdempotencyKeyLength = 255;

    private static readonly string UserAgent =
        "VaultAI.Billing/" + (typeof(StripeClient).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    private readonly HttpClient _http;
    private readonly StripeClientOptions _options;
    private readonly TimeProvider _time;
    private readonly StripeMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>Used by the HttpClient factory.</summary>
    public StripeClient(HttpClient httpClient, IOptions<StripeClientOptions> options, TimeProvider timeProvider, StripeMetrics metrics, ILogger<StripeClient> logger)
        : this(httpClient, options.Value, timeProvider, metrics, logger)
    {
    }

    /// <summary>Builds a client without DI (tests, tools). Validates the options.</summary>
    internal StripeClient(HttpClient httpClient, StripeClientOptions options, TimeProvider? timeProvider = null, StripeMetrics? metrics = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        var validation = new StripeClientOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(StripeClientOptions), validation.Failures);
        }

        _http = httpClient;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = metrics ?? new StripeMetrics(null);
        _logger = logger ?? NullLogger.Instance;
    }

    public Task<StripeCustomer> CreateCustomerAsync(CustomerCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreateCustomer", "/v1/customers", options.ToForm(), requestOptions, StripeJsonContext.Default.CustomerDto, StripeMapper.Map, cancellationToken);
    }

    public Task<StripeCustomer> GetCustomerAsync(string customerId, CancellationToken cancellationToken = default) =>
        GetAsync("GetCustomer", "/v1/customers/" + Segment(customerId), StripeJsonContext.Default.CustomerDto, StripeMapper.Map, cancellationToken);

    public Task<StripeCustomer> UpdateCustomerAsync(string customerId, CustomerUpdateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("UpdateCustomer", "/v1/customers/" + Segment(customerId), options.ToForm(), requestOptions, StripeJsonContext.Default.CustomerDto, StripeMapper.Map, cancellationToken);
    }

    public IAsyncEnumerable<StripeCustomer> ListCustomersAsync(CustomerListOptions? options = null, CancellationToken cancellationToken = default) =>
        ListAsync(
            "ListCustomers",
            "/v1/customers",
            new FormParams().Add("email", options?.Email),
            options?.Limit,
            options?.StartingAfter,
            options?.Expand,
            StripeJsonContext.Default.ListDtoCustomerDto,
            StripeMapper.Map,
            cancellationToken);

    public async IAsyncEnumerable<StripeCustomer> SearchCustomersAsync(string query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        string? page = null;
        while (true)
        {
            var parameters = new FormParams().Add("query", query).Add("limit", DefaultPageSize).Add("page", page);
            var result = await SendAsync(
                Get("SearchCustomers", "/v1/customers/search", parameters),
                StripeJsonContext.Default.ListDtoCustomerDto,
                static l => l.IsValid(),
                cancellationToken).ConfigureAwait(false);
            foreach (var customer in result.Data!)
            {
                yield return StripeMapper.Map(customer);
            }

            if (!result.HasMore || string.IsNullOrEmpty(result.NextPage))
            {
                yield break;
            }

            page = result.NextPage;
        }
    }

    public Task<StripeSubscription> CreateSubscriptionAsync(SubscriptionCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreateSubscription", "/v1/subscriptions", options.ToForm(), requestOptions, StripeJsonContext.Default.SubscriptionDto, StripeMapper.Map, cancellationToken);
    }

    public Task<StripeSubscription> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        GetAsync("GetSubscription", "/v1/subscriptions/" + Segment(subscriptionId), StripeJsonContext.Default.SubscriptionDto, StripeMapper.Map, cancellationToken);

    public Task<StripeSubscription> UpdateSubscriptionAsync(string subscriptionId, SubscriptionUpdateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("UpdateSubscription", "/v1/subscriptions/" + Segment(subscriptionId), options.ToForm(), requestOptions, StripeJsonContext.Default.SubscriptionDto, StripeMapper.Map, cancellationToken);
    }

    public async Task<StripeSubscription> CancelSubscriptionAsync(string subscriptionId, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        // DELETE is idempotent by definition; Stripe asks for no Idempotency-Key on it.
        var call = new StripeCall("CancelSubscription", HttpMethod.Delete, BuildUri(_options.ApiBase, "/v1/subscriptions/" + Segment(subscriptionId), null), _options.ApiKey!);
        var dto = await SendAsync(call, StripeJsonContext.Default.SubscriptionDto, static d => d.IsValid(), cancellationToken).ConfigureAwait(false);
        return StripeMapper.Map(dto);
    }

    public IAsyncEnumerable<StripeSubscription> ListSubscriptionsAsync(SubscriptionListOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ListAsync("ListSubscriptions", "/v1/subscriptions", options.ToQuery(), options.Limit, null, null, StripeJsonContext.Default.ListDtoSubscriptionDto, StripeMapper.Map, cancellationToken);
    }

    public Task<StripeProduct> CreateProductAsync(ProductCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreateProduct", "/v1/products", options.ToForm(), requestOptions, StripeJsonContext.Default.ProductDto, StripeMapper.Map, cancellationToken);
    }

    public IAsyncEnumerable<StripeProduct> ListProductsAsync(ProductListOptions? options = null, CancellationToken cancellationToken = default) =>
        ListAsync("ListProducts", "/v1/products", options?.ToQuery() ?? new FormParams(), options?.Limit, null, null, StripeJsonContext.Default.ListDtoProductDto, StripeMapper.Map, cancellationToken);

    public Task<StripePrice> CreatePriceAsync(PriceCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreatePrice", "/v1/prices", options.ToForm(), requestOptions, StripeJsonContext.Default.PriceDto, StripeMapper.Map, cancellationToken);
    }

    public IAsyncEnumerable<StripePrice> ListPricesAsync(PriceListOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ListAsync("ListPrices", "/v1/prices", options.ToQuery(), options.Limit, null, null, StripeJsonContext.Default.ListDtoPriceDto, StripeMapper.Map, cancellationToken);
    }

    public Task<StripeMeter> CreateMeterAsync(MeterCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreateMeter", "/v1/billing/meters", options.ToForm(), requestOptions, StripeJsonContext.Default.MeterDto, StripeMapper.Map, cancellationToken);
    }

    public IAsyncEnumerable<StripeMeter> ListMetersAsync(MeterListOptions? options = null, CancellationToken cancellationToken = default) =>
        ListAsync("ListMeters", "/v1/billing/meters", options?.ToQuery() ?? new FormParams(), options?.Limit, null, null, StripeJsonContext.Default.ListDtoMeterDto, StripeMapper.Map, cancellationToken);

    public Task<StripeMeterEvent> CreateMeterEventAsync(MeterEventCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreateMeterEvent", "/v1/billing/meter_events", options.ToForm(), requestOptions, StripeJsonContext.Default.MeterEventDto, StripeMapper.Map, cancellationToken);
    }

    public IAsyncEnumerable<StripeMeterEventSummary> ListMeterEventSummariesAsync(string meterId, MeterEventSummaryListOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Customer, nameof(options));
        return ListAsync(
            "ListMeterEventSummaries",
            "/v1/billing/meters/" + Segment(meterId) + "/event_summaries",
            options.ToQuery(),
            options.Limit,
            null,
            null,
            StripeJsonContext.Default.ListDtoMeterEventSummaryDto,
            StripeMapper.Map,
            cancellationToken);
    }

    public async Task<StripeMeterEventSession> CreateMeterEventSessionAsync(CancellationToken cancellationToken = default)
    {
        var call = new StripeCall("CreateMeterEventSession", HttpMethod.Post, BuildUri(_options.ApiBase, "/v2/billing/meter_event_session", null), _options.ApiKey!)
        {
            Body = "{}",
            ContentType = JsonContentType,
            IdempotencyKey = NewIdempotencyKey(),
        };
        var dto = await SendAsync(call, StripeJsonContext.Default.MeterEventSessionDto, static d => d.IsValid(), cancellationToken).ConfigureAwait(false);
        return StripeMapper.Map(dto);
    }

    public async Task SendMeterEventStreamAsync(StripeMeterEventSession session, IReadOnlyList<MeterEventStreamItem> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count is 0 or > MaxStreamEvents)
        {
            throw new ArgumentException($"A meter event stream request carries 1 to {MaxStreamEvents} events (got {events.Count}).", nameof(events));
        }

        var call = new StripeCall("SendMeterEventStream", HttpMethod.Post, BuildUri(_options.MeterEventsApiBase, "/v2/billing/meter_event_stream", null), session.AuthenticationToken)
        {
            Body = SerializeStreamEvents(events),
            ContentType = JsonContentType,
            IdempotencyKey = NewIdempotencyKey(),
        };

        // Stripe answers 202 with an empty object; nothing in it is needed.
        await SendWithRetriesAsync(call, cancellationToken).ConfigureAwait(false);
    }

    public Task<StripeCheckoutSession> CreateCheckoutSessionAsync(CheckoutSessionCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreateCheckoutSession", "/v1/checkout/sessions", options.ToForm(), requestOptions, StripeJsonContext.Default.CheckoutSessionDto, StripeMapper.Map, cancellationToken);
    }

    public Task<StripePortalSession> CreatePortalSessionAsync(PortalSessionCreateOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("CreatePortalSession", "/v1/billing_portal/sessions", options.ToForm(), requestOptions, StripeJsonContext.Default.PortalSessionDto, StripeMapper.Map, cancellationToken);
    }

    public IAsyncEnumerable<StripeInvoice> ListInvoicesAsync(InvoiceListOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ListAsync("ListInvoices", "/v1/invoices", options.ToQuery(), options.Limit, null, null, StripeJsonContext.Default.ListDtoInvoiceDto, StripeMapper.Map, cancellationToken);
    }

    public Task<StripeInvoice> GetInvoiceAsync(string invoiceId, CancellationToken cancellationToken = default) =>
        GetAsync("GetInvoice", "/v1/invoices/" + Segment(invoiceId), StripeJsonContext.Default.InvoiceDto, StripeMapper.Map, cancellationToken);

    public Task<StripeInvoice> PreviewInvoiceAsync(InvoicePreviewOptions options, StripeRequestOptions? requestOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return PostAsync("PreviewInvoice", "/v1/invoices/create_preview", options.ToForm(), requestOptions, StripeJsonContext.Default.InvoiceDto, StripeMapper.Map, cancellationToken);
    }

    public Task<StripeEvent> GetEventAsync(string eventId, CancellationToken cancellationToken = default) =>
        GetAsync("GetEvent", "/v1/events/" + Segment(eventId), StripeJsonContext.Default.EventDto, StripeMapper.Map, cancellationToken);

    public IAsyncEnumerable<StripeEvent> ListEventsAsync(EventListOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ListAsync("ListEvents", "/v1/events", options.ToQuery(), options.Limit, null, null, StripeJsonContext.Default.ListDtoEventDto, StripeMapper.Map, cancellationToken);
    }

    internal static string SerializeStreamEvents(IReadOnlyList<MeterEventStreamItem> events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("events");
            foreach (var item in events)
            {
                ArgumentNullException.ThrowIfNull(item, nameof(events));
                writer.WriteStartObject();
                writer.WriteString("event_name", item.EventName);
                writer.WriteString("identifier", item.Identifier);
                writer.WriteString("timestamp", item.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
                writer.WriteStartObject("payload");
                writer.WriteString("stripe_customer_id", item.StripeCustomerId);
                writer.WriteString("value", item.Value.ToString(CultureInfo.InvariantCulture));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Segment(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return Uri.EscapeDataString(id);
    }

    private static Uri BuildUri(Uri baseUri, string path, FormParams? query)
    {
        // Concatenate rather than combine so that a base with a path (an emulator under a prefix) keeps it.
        var text = baseUri.AbsoluteUri.TrimEnd('/') + path;
        if (query is { Count: > 0 })
        {
            text += "?" + FormEncoder.Encode(query);
        }

        return new Uri(text, UriKind.Absolute);
    }

    private static string NewIdempotencyKey() => "vaultai-" + Guid.NewGuid().ToString("D");

    private static string IdempotencyKeyFor(StripeRequestOptions? requestOptions)
    {
        var key = requestOptions?.IdempotencyKey;
        if (key is null)
        {
            return NewIdempotencyKey();
        }

        if (key.Length is 0 or > MaxIdempotencyKeyLength)
        {
            throw new ArgumentException($"An idempotency key has 1 to {MaxIdempotencyKeyLength} characters.", nameof(requestOptions));
        }

        return key;
    }

    private StripeCall Get(string operation, string path, FormParams? query) =>
        new(operation, HttpMethod.Get, BuildUri(_options.ApiBase, path, query), _options.ApiKey!);

    private async Task<TModel> GetAsync<TDto, TModel>(string operation, string path, JsonTypeInfo<TDto> typeInfo, Func<TDto, TModel> map, CancellationToken cancellationToken)
        where TDto : class, IStripeDto
    {
        var dto = await SendAsync(Get(operation, path, null), typeInfo, static d => d.IsValid(), cancellationToken).ConfigureAwait(false);
        return map(dto);
    }

    private async Task<TModel> PostAsync<TDto, TModel>(
        string operation,
        string path,
        FormParams form,
        StripeRequestOptions? requestOptions,
        JsonTypeInfo<TDto> typeInfo,
        Func<TDto, TModel> map,
        CancellationToken cancellationToken)
        where TDto : class, IStripeDto
    {
        var call = new StripeCall(operation, HttpMethod.Post, BuildUri(_options.ApiBase, path, null), _options.ApiKey!)
        {
            Body = FormEncoder.Encode(form),
            ContentType = FormContentType,
            IdempotencyKey = IdempotencyKeyFor(requestOptions),
        };
        var dto = await SendAsync(call, typeInfo, static d => d.IsValid(), cancellationToken).ConfigureAwait(false);
        return map(dto);
    }

    private async IAsyncEnumerable<TModel> ListAsync<TDto, TModel>(
        string operation,
        string path,
        FormParams filters,
        int? limit,
        string? startingAfter,
        IList<string>? expand,
        JsonTypeInfo<ListDto<TDto>> typeInfo,
        Func<TDto, TModel> map,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TDto : class, IStripeDto
    {
        var cursor = startingAfter;
        while (true)
        {
            var query = new FormParams()
                .AddRange(filters)
                .Add("limit", limit ?? DefaultPageSize)
                .Add("starting_after", cursor)
                .Add("expand", expand is { Count: > 0 } ? expand : null);
            var page = await SendAsync(Get(operation, path, query), typeInfo, static l => l.IsValid(), cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Data!)
            {
                yield return map(item);
            }

            if (!page.HasMore || page.Data!.Count == 0)
            {
                yield break;
            }

            cursor = page.Data[^1].Id;
        }
    }

    private async Task<T> SendAsync<T>(StripeCall call, JsonTypeInfo<T> typeInfo, Func<T, bool> isValid, CancellationToken cancellationToken)
        where T : class
    {
        var response = await SendWithRetriesAsync(call, cancellationToken).ConfigureAwait(false);
        T? value = null;
        try
        {
            value = JsonSerializer.Deserialize(response.Body, typeInfo);
        }
        catch (JsonException)
        {
            // Reported below as an invalid response object, like any other unexpected body.
        }

        if (value is null || !isValid(value))
        {
            StripeLog.InvalidResponse(_logger, call.Operation, call.Method.Method, (int)response.StatusCode, response.RequestId, response.Attempt);
            throw CreateException(call, response, error: null);
        }

        return value;
    }

    private async Task<StripeResponse> SendWithRetriesAsync(StripeCall call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var started = _time.GetTimestamp();
            StripeResponse? response = null;
            Exception? failure = null;
            try
            {
                response = await SendOnceAsync(call, attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                failure = ex;
            }
            catch (IOException ex)
            {
                // The connection broke while the body was being read; report it like any other connection error.
                failure = new HttpRequestException($"The connection to Stripe broke while reading the {call.Operation} response.", ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failure = new TimeoutException(
                    $"Stripe {call.Operation} did not answer within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (attempt {attempt}).", ex);
            }

            var elapsed = _time.GetElapsedTime(started);
            var elapsedMs = (long)elapsed.TotalMilliseconds;
            var canRetry = attempt <= _options.MaxRetries;
            if (failure is not null)
            {
                var reason = failure.GetType().Name;
                if (canRetry)
                {
                    var delay = Backoff(attempt);
                    StripeLog.ConnectionRetrying(_logger, call.Operation, call.Method.Method, reason, elapsedMs, attempt, (long)delay.TotalMilliseconds);
                    _metrics.Record(call.Operation, "retry", elapsed);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                StripeLog.ConnectionFailed(_logger, call.Operation, call.Method.Method, reason, elapsedMs, attempt);
                _metrics.Record(call.Operation, "error", elapsed);
                ExceptionDispatchInfo.Throw(failure);
            }

            var status = (int)response!.StatusCode;
            if (status is >= 200 and < 300)
            {
                StripeLog.RequestSucceeded(_logger, call.Operation, call.Method.Method, status, elapsedMs, response.RequestId, attempt);
                _metrics.Record(call.Operation, "success", elapsed);
                return response;
            }

            if (canRetry && ShouldRetry(response))
            {
                var delay = response.RetryAfter is { } retryAfter
                    ? TimeSpan.FromTicks(Math.Clamp(retryAfter.Ticks, 0, _options.MaxRetryAfter.Ticks))
                    : Backoff(attempt);
                StripeLog.RequestRetrying(_logger, call.Operation, call.Method.Method, status, elapsedMs, response.RequestId, attempt, (long)delay.TotalMilliseconds);
                _metrics.Record(call.Operation, "retry", elapsed);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            _metrics.Record(call.Operation, "error", elapsed);
            var error = ReadError(response.Body);
            StripeLog.RequestFailed(_logger, call.Operation, call.Method.Method, status, error?.Type, error?.Code, elapsedMs, response.RequestId, attempt);
            throw CreateException(call, response, error);
        }
    }

    private async Task<StripeResponse> SendOnceAsync(StripeCall call, int attempt, CancellationToken cancellationToken)
    {
        // The timeout covers one attempt, headers and body; the caller's token covers the whole call.
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(call.Method, call.Uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", call.BearerToken);
        request.Headers.TryAddWithoutValidation("Stripe-Version", _options.ApiVersion);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonContentType));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (call.IdempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", call.IdempotencyKey);
        }

        if (call.Body is not null)
        {
            request.Content = new StringContent(call.Body, Encoding.UTF8, call.ContentType ?? FormContentType);
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
        return new StripeResponse
        {
            StatusCode = response.StatusCode,
            RequestId = Header(response, "Request-Id"),
            ShouldRetry = Header(response, "Stripe-Should-Retry"),
            RetryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - _time.GetUtcNow(),
                _ => null,
            },
            Body = body,
            Attempt = attempt,
        };
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static bool ShouldRetry(StripeResponse response)
    {
        // Stripe's explicit advice wins over the status code.
        if (string.Equals(response.ShouldRetry, "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (string.Equals(response.ShouldRetry, "false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var status = (int)response.StatusCode;
        return status is 409 or 429 or >= 500;
    }

    private TimeSpan Backoff(int attempt)
    {
        var exponential = _options.InitialRetryDelay.Ticks * Math.Pow(2, attempt - 1);
        var capped = Math.Min(exponential, _options.MaxRetryDelay.Ticks);

        // Jitter in [0.5, 1.0] spreads retries of many callers.
        var jittered = capped * (0.5 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromTicks((long)jittered);
    }

    private static ErrorDto? ReadError(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, StripeJsonContext.Default.ErrorEnvelopeDto)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private StripeApiException CreateException(StripeCall call, StripeResponse response, ErrorDto? error)
    {
        var status = (int)response.StatusCode;
        var requestId = response.RequestId ?? "(none)";
        var message = error is null
            ? $"Stripe {call.Operation} received an invalid response object (HTTP {status}, request id {requestId}): the body is not the JSON Stripe documents."
            : $"Stripe {call.Operation} failed with HTTP {status} ({error.Type ?? "unknown error type"}" +
              (error.Code is null ? string.Empty : "/" + error.Code) + $", request id {requestId}): {error.Message}";
        return new StripeApiException(Redact(message))
        {
            StatusCode = response.StatusCode,
            ErrorType = error?.Type,
            Code = error?.Code,
            Param = error?.Param,
            DeclineCode = error?.DeclineCode,
            StripeMessage = error?.Message is null ? null : Redact(error.Message),
            DocUrl = error?.DocUrl,
            RequestId = response.RequestId,
            RawBody = Redact(Encoding.UTF8.GetString(response.Body)),
        };
    }

    private string Redact(string text) =>
        string.IsNullOrEmpty(_options.ApiKey) ? text : text.Replace(_options.ApiKey, "[redacted]", StringComparison.Ordinal);

    private sealed class StripeCall(string operation, HttpMethod method, Uri uri, string bearerToken)
    {
        public string Operation { get; } = operation;

        public HttpMethod Method { get; } = method;

        public Uri Uri { get; } = uri;

        public string BearerToken { get; } = bearerToken;

        public string? Body { get; init; }

        public string? ContentType { get; init; }

        public string? IdempotencyKey { get; init; }

        public override string ToString() => $"{Method} {Uri.AbsolutePath} ({Operation})";
    }

    private sealed class StripeResponse
    {
        public HttpStatusCode StatusCode { get; init; }

        public string? RequestId { get; init; }

        public string? ShouldRetry { get; init; }

        public TimeSpan? RetryAfter { get; init; }

        public required byte[] Body { get; init; }

        public int Attempt { get; init; }
    }
}
