using System.Net.Http.Headers;

namespace VaultAI.Billing.Client;

/// <summary>Adds the organization's bearer token from the <see cref="IBillingTokenStore"/>, when one is stored.</summary>
internal sealed class BillingAuthHandler(IBillingTokenStore tokenStore) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Headers.Authorization is null)
        {
            var token = await tokenStore.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(token))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
