using System.Globalization;

namespace VaultAI.Billing.Client;

/// <summary>The self-service calls: subscription, checkout and portal links, invoices, payment methods, credits.</summary>
internal sealed partial class BillingClient
{
    public async Task<SubscriptionSummary> GetSubscriptionAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, await OrganizationPathAsync("subscription", cancellationToken).ConfigureAwait(false));
        return await SendAuthorizedAsync<SubscriptionSummary>(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<CheckoutLink> CreateCheckoutLinkAsync(string planType, string billingInterval, Uri successUrl, Uri cancelUrl, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(planType);
        ArgumentException.ThrowIfNullOrWhiteSpace(billingInterval);
        RequireAbsolute(successUrl);
        RequireAbsolute(cancelUrl);
        using var request = new HttpRequestMessage(HttpMethod.Post, await OrganizationPathAsync("checkout", cancellationToken).ConfigureAwait(false))
        {
            Content = WireJson.Content(new CheckoutLinkRequest(planType, billingInterval, successUrl.AbsoluteUri, cancelUrl.AbsoluteUri)),
        };

        // One key per call, re-sent on every retry of it: a retried request cannot change the plan twice.
        request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, Guid.NewGuid().ToString("D"));
        var link = await SendAuthorizedAsync<CheckoutLink>(request, cancellationToken).ConfigureAwait(false);
        if (link.Url is null && !link.ChangedInPlace)
        {
            throw new VaultAIBillingException(System.Net.HttpStatusCode.OK, null, "The billing host answered neither a Checkout URL nor a plan changed in place.");
        }

        return link;
    }

    public async Task<Uri> CreatePortalLinkAsync(Uri returnUrl, CancellationToken cancellationToken = default)
    {
        RequireAbsolute(returnUrl);
        using var request = new HttpRequestMessage(HttpMethod.Post, await OrganizationPathAsync("portal", cancellationToken).ConfigureAwait(false))
        {
            Content = WireJson.Content(new PortalLinkRequest(returnUrl.AbsoluteUri)),
        };
        request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, Guid.NewGuid().ToString("D"));
        var link = await SendAuthorizedAsync<PortalLinkResponse>(request, cancellationToken).ConfigureAwait(false);
        return link.Url ?? throw new VaultAIBillingException(System.Net.HttpStatusCode.OK, null, "The billing host answered a portal link without a url.");
    }

    public async Task<InvoicePage> GetInvoicesAsync(string? startingAfter = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 100);
        var query = "?limit=" + limit.ToString(CultureInfo.InvariantCulture);
        if (!string.IsNullOrEmpty(startingAfter))
        {
            query += "&starting_after=" + Uri.EscapeDataString(startingAfter);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, await OrganizationPathAsync("invoices", cancellationToken).ConfigureAwait(false) + query);
        return await SendAuthorizedAsync<InvoicePage>(request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PaymentMethodSummary>> GetPaymentMethodsAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, await OrganizationPathAsync("payment-methods", cancellationToken).ConfigureAwait(false));
        var wire = await SendAuthorizedAsync<PaymentMethodsResponse>(request, cancellationToken).ConfigureAwait(false);
        return wire.PaymentMethods ?? [];
    }

    public async Task<CreditBalance> GetCreditsAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, await OrganizationPathAsync("credits", cancellationToken).ConfigureAwait(false));
        return await SendAuthorizedAsync<CreditBalance>(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> OrganizationPathAsync(string route, CancellationToken cancellationToken)
    {
        var info = await _organization.GetAsync(cancellationToken).ConfigureAwait(false);
        return "api/organizations/" + info.OrganizationId.ToString("D") + "/" + route;
    }

    private static void RequireAbsolute(Uri url, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(url))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(url, name);
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException("The URL must be absolute (scheme, host and path).", name);
        }
    }
}

internal sealed record CheckoutLinkRequest(string PlanType, string BillingInterval, string SuccessUrl, string CancelUrl);

internal sealed record PortalLinkRequest(string ReturnUrl);

internal sealed record PortalLinkResponse(Uri? Url);

internal sealed record PaymentMethodsResponse(IReadOnlyList<PaymentMethodSummary>? PaymentMethods);
