using System.Text;
using VaultAI.Billing.Testing;
using WireMock;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace VaultAI.Billing.FaultTests.Support;

/// <summary>
/// A WireMock stub in front of one emulator route that lets Stripe act on the request at once and holds back the answer.
/// The emulator's own <c>StripeFault.Delay</c> waits <i>before</i> the engine acts, so a client killed during it leaves
/// no trace; this is the other, harder window: Stripe has counted the meter event, the caller never hears so.
/// </summary>
internal static class LostAnswers
{
    private const string ForwardedHeader = "X-Fault-Forwarded";

    /// <summary>Installs the stub; returns its mapping id for <c>stripe.Server.DeleteMapping</c>.</summary>
    public static Guid HoldAnswers(StripeEmulator stripe, string path, TimeSpan answerDelay)
    {
        var guid = Guid.NewGuid();
        var forwarder = new HttpClient { BaseAddress = stripe.BaseAddress };
        stripe.Server
            .Given(Request.Create().WithPath(path).UsingPost().WithHeader(ForwardedHeader, "*", MatchBehaviour.RejectOnMatch))
            .WithGuid(guid)
            .AtPriority(1)
            .WithTitle($"Answers held back on {path}")
            .RespondWith(Response.Create().WithCallback(async request => await ForwardThenHoldAsync(forwarder, request, answerDelay)));
        return guid;
    }

    private static async Task<IResponseMessage> ForwardThenHoldAsync(HttpClient forwarder, IRequestMessage request, TimeSpan answerDelay)
    {
        // v1 bodies are forms, the v2 stream's are JSON: forward the caller's own media type.
        var mediaType = request.Headers is { } sent && sent.TryGetValue("Content-Type", out var contentType)
            && contentType.FirstOrDefault() is { } value
            ? value.Split(';')[0].Trim()
            : "application/x-www-form-urlencoded";
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path)
        {
            Content = new StringContent(request.Body ?? "", Encoding.UTF8, mediaType),
        };
        foreach (var (name, values) in request.Headers ?? new Dictionary<string, WireMockList<string>>())
        {
            if (name is "Authorization" or "Idempotency-Key" or "Stripe-Version" or "Stripe-Account")
            {
                forward.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        forward.Headers.Add(ForwardedHeader, "1");
        using var answer = await forwarder.SendAsync(forward);
        var body = await answer.Content.ReadAsStringAsync();

        // Stripe has acted; the caller waits (and, in the scenario, dies waiting).
        await Task.Delay(answerDelay);
        var headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = new WireMockList<string>("application/json"),
        };
        if (answer.Headers.TryGetValues("Request-Id", out var requestId))
        {
            headers["Request-Id"] = new WireMockList<string>(requestId.ToArray());
        }

        return new ResponseMessage
        {
            StatusCode = (int)answer.StatusCode,
            Headers = headers,
            BodyData = new BodyData { BodyAsString = body, DetectedBodyType = BodyType.String, Encoding = new UTF8Encoding(false) },
        };
    }
}
