using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace VaultAI.Billing.Testing.Tests.Support;

/// <summary>Raw HTTP against the emulator: form bodies written by hand, as Stripe's SDKs send them.</summary>
internal sealed class StripeHttp : IDisposable
{
    private readonly HttpClient _http;

    public StripeHttp(StripeEmulator emulator, string? apiKey = null)
    {
        _http = new HttpClient { BaseAddress = emulator.BaseAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? emulator.ApiKey);
        _http.DefaultRequestHeaders.Add("Stripe-Version", "2026-10-28.endive");
    }

    public HttpClient Client => _http;

    public Task<StripeResponse> PostAsync(string path, string form, string? idempotencyKey = null) =>
        SendAsync(HttpMethod.Post, path, form, idempotencyKey);

    public Task<StripeResponse> GetAsync(string pathAndQuery) => SendAsync(HttpMethod.Get, pathAndQuery, null, null);

    public Task<StripeResponse> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path, null, null);

    public async Task<StripeResponse> SendAsync(HttpMethod method, string path, string? form, string? idempotencyKey, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (form is not null)
        {
            request.Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        configure?.Invoke(request);
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new StripeResponse(response.StatusCode, body.Length > 0 && body[0] == '{' ? JsonNode.Parse(body)!.AsObject() : new JsonObject(), response.Headers, body);
    }

    /// <summary>POSTs and asserts 200, returning the object's id.</summary>
    public async Task<string> CreateAsync(string path, string form)
    {
        var response = await PostAsync(path, form);
        Assert.True(response.Status == HttpStatusCode.OK, $"{path} answered {(int)response.Status}: {response.Raw}");
        return response.Json["id"]!.GetValue<string>();
    }

    public void Dispose() => _http.Dispose();
}

internal sealed record StripeResponse(HttpStatusCode Status, JsonObject Json, HttpResponseHeaders Headers, string Raw)
{
    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public string Str(string property) => Json[property]!.GetValue<string>();

    public JsonObject Error => Json["error"]!.AsObject();
}

internal static class StripeHttpExtensions
{
    public static async Task CreateAsyncOk(this StripeHttp http, string path, string form)
    {
        var response = await http.PostAsync(path, form);
        Assert.True(response.Status == System.Net.HttpStatusCode.OK, $"{path} answered {(int)response.Status}: {response.Raw}");
    }
}
