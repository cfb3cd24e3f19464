using System.Net.Http.Json;
using System.Text.Json;
using VaultAI.Billing.Events;

namespace BillingHost.Hosting;

/// <summary>
/// A sample <see cref="IBillingEventHandler"/>: POSTs every billing event as JSON to <c>VaultAI:Host:EventHookUrl</c>
/// (for example the operator's automation that stops or resumes a customer's services). A non-2xx answer or an
/// unreachable URL throws, so the library retries it with backoff; the event id is sent as <c>Idempotency-Key</c>
/// because delivery is at least once.
/// </summary>
internal sealed class EventHookForwarder(IHttpClientFactory httpClientFactory, IConfiguration configuration) : IBillingEventHandler
{
    public const string ConfigurationKey = "VaultAI:Host:EventHookUrl";
    private const string ClientName = "BillingHost.EventHook";

    /// <summary>Registers the forwarder when <c>VaultAI:Host:EventHookUrl</c> is an absolute http(s) URL.</summary>
    public static void Register(IServiceCollection services, IConfiguration configuration)
    {
        if (configuration[ConfigurationKey] is not { Length: > 0 } url)
        {
            return;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"{ConfigurationKey} must be an absolute http(s) URL.");
        }

        services.AddHttpClient(ClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        services.AddBillingEventHandler<EventHookForwarder>();
    }

    public async Task HandleAsync(BillingEvent billingEvent, CancellationToken cancellationToken)
    {
        using var data = JsonDocument.Parse(billingEvent.Data);
        var body = new Dictionary<string, object?>
        {
            ["id"] = billingEvent.Id,
            ["type"] = billingEvent.Type,
            ["organization_id"] = billingEvent.OrganizationId,
            ["actor"] = billingEvent.Actor,
            ["occurred_at"] = billingEvent.OccurredAt,
            ["data"] = data.RootElement.Clone(),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, configuration[ConfigurationKey]) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", billingEvent.Id.ToString("D"));
        using var response = await httpClientFactory.CreateClient(ClientName).SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}
