using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Stripe;
using VaultAI.Billing.Events;
using VaultAI.Billing.Metering;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Stripe.Internal;
using VaultAI.Billing.Subscriptions;

namespace VaultAI.Billing.SelfService.Internal;

/// <summary>The <see cref="IBillingSelfService"/> over the store, Stripe.net and <see cref="SubscriptionLifecycle"/>.</summary>
internal sealed partial class BillingSelfService(
    IBillingStore store,
    StripeClient stripe,
    SubscriptionLifecycle lifecycle,
    IBillingEventLog events,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    ILogger<BillingSelfService> logger) : IBillingSelfService
{
    /// <summary>The billing event type of a credit granted or removed.</summary>
    public const string CreditAdjusted = "credit_adjusted";

    private const long MaxCreditAmount = 100_000_000;

    public async Task<SubscriptionOverview> GetSubscriptionAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        var settings = options.CurrentValue;
        var organization = await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var plan = organization.PlanKey is { } key && settings.Plans.TryGetValue(key, out var found) ? found : null;
        var period = UsagePeriod.For(organization, timeProvider.GetUtcNow());
        var totals = await store.GetUsageTotalsAsync(organizationId, period.Start, cancellationToken).ConfigureAwait(false);
        var metrics = settings.Metrics.Keys.OrderBy(k => k, StringComparer.Ordinal).Select(metric =>
        {
            var current = totals.FirstOrDefault(t => string.Equals(t.Metric, metric, StringComparison.Ordinal))?.Total ?? 0m;
            var limit = plan?.FindLimit(metric);
            return new MetricAllowance(metric, Normalize(current), limit?.Limit, limit is { Included: > 0 } ? limit.Included : null);
        }).ToList();

        return new SubscriptionOverview
        {
            OrganizationId = organizationId,
            PlanType = organization.PlanKey,
            PlanName = plan?.DisplayName is { Length: > 0 } name ? name : organization.PlanKey,
            BillingInterval = organization.BillingInterval switch { "month" => "monthly", "year" => "yearly", _ => null },
            Status = organization.Status,
            TrialEnd = organization.TrialEnd,
            CurrentPeriodStart = organization.CurrentPeriodStart,
            CurrentPeriodEnd = organization.CurrentPeriodEnd,
            CancelAtPeriodEnd = organization.CancelAtPeriodEnd,
            Seats = organization.LicensedQuantity,
            NextInvoice = await PreviewNextInvoiceAsync(organization, cancellationToken).ConfigureAwait(false),
            Metrics = metrics,
        };
    }

    public async Task<CheckoutOutcome> CheckoutAsync(Guid organizationId, SelfServiceCheckoutRequest request, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.CurrentValue;

        // Everything the caller sent is checked before anything is read from Stripe or written anywhere.
        if (string.IsNullOrEmpty(request.PlanType) || !settings.Plans.TryGetValue(request.PlanType, out var plan))
        {
            throw BillingException.Invalid("plan_type", $"'plan_type' must be one of: {string.Join(", ", settings.Plans.Keys)}.");
        }

        if (request.BillingInterval is not ("monthly" or "yearly"))
        {
            throw BillingException.Invalid("billing_interval", "'billing_interval' must be 'monthly' or 'yearly'.");
        }

        var yearly = request.BillingInterval == "yearly";
        if (yearly && !plan.HasYearly)
        {
            throw BillingException.Invalid("billing_interval", $"The plan '{request.PlanType}' has no yearly price.");
        }

        var successUrl = RedirectOrigins.Require(request.SuccessUrl, "success_url", settings.AllowedRedirectOrigins);
        var cancelUrl = RedirectOrigins.Require(request.CancelUrl, "cancel_url", settings.AllowedRedirectOrigins);

        var organization = await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        if (organization.StripeCustomerId is { } customerId && (plan.IsFree || await HasPaymentMethodAsync(customerId, cancellationToken).ConfigureAwait(false)))
        {
            // A card is on file (or nothing is to be paid): the subscription changes now, prorated, and Stripe charges the card.
            var changed = await lifecycle.ChangePlanAsync(
                organizationId,
                new PlanChangeRequest { PlanKey = request.PlanType, BillingInterval = request.BillingInterval },
                actor,
                cancellationToken).ConfigureAwait(false);
            return new CheckoutOutcome(null, null, true, changed.PlanKey ?? request.PlanType);
        }

        var items = plan.SubscriptionItems(yearly);
        if (items.Count == 0)
        {
            throw BillingException.Invalid("plan_type", $"The plan '{request.PlanType}' is free: it needs no checkout.");
        }

        var id = organizationId.ToString("D");
        var upgrade = organization.IsLinked && organization.Status is not (OrganizationStatus.Canceled or OrganizationStatus.Pending);
        var metadata = new Dictionary<string, string> { ["organization_id"] = id, ["plan"] = request.PlanType };
        if (upgrade)
        {
            metadata["replaces_subscription"] = organization.StripeSubscriptionId!;
        }

        // A trial only for a first subscription; an upgrade of a running one is paid from the start.
        var trialDays = upgrade ? 0 : plan.TrialDays ?? settings.DefaultTrialDays;
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(
            '|', request.PlanType, request.BillingInterval, successUrl, cancelUrl, organization.Version.ToString(CultureInfo.InvariantCulture)))))[..16];
        var session = await StripeErrors.GuardAsync(
            "create the checkout session",
            () => stripe.V1.Checkout.Sessions.CreateAsync(
                new global::Stripe.Checkout.SessionCreateOptions
                {
                    Mode = "subscription",
                    LineItems = items.Select(i => new global::Stripe.Checkout.SessionLineItemOptions { Price = i.PriceId, Quantity = i.Quantity }).ToList(),
                    SuccessUrl = successUrl,
                    CancelUrl = cancelUrl,
                    Customer = organization.StripeCustomerId,
                    CustomerEmail = organization.StripeCustomerId is null ? organization.AdminEmail : null,
                    ClientReferenceId = id,
                    Metadata = metadata,
                    SubscriptionData = new global::Stripe.Checkout.SessionSubscriptionDataOptions
                    {
                        TrialPeriodDays = trialDays > 0 ? trialDays : null,
                        Metadata = metadata,
                    },
                },
                new RequestOptions { IdempotencyKey = "self-checkout:" + id + ":" + fingerprint },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var url = session.Url ?? throw new BillingException(502, "stripe_error", "Stripe returned a checkout session without a URL.");
        return new CheckoutOutcome(new Uri(url), session.Id, false, request.PlanType);
    }

    public async Task<Uri> CreatePortalLinkAsync(Guid organizationId, string returnUrl, CancellationToken cancellationToken = default)
    {
        var checkedUrl = RedirectOrigins.Require(returnUrl, "return_url", options.CurrentValue.AllowedRedirectOrigins);
        var customerId = await RequireCustomerAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var session = await StripeErrors.GuardAsync(
            "create the billing portal session",
            () => stripe.V1.BillingPortal.Sessions.CreateAsync(
                new global::Stripe.BillingPortal.SessionCreateOptions { Customer = customerId, ReturnUrl = checkedUrl },
                cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return new Uri(session.Url ?? throw new BillingException(502, "stripe_error", "Stripe returned a portal session without a URL."));
    }

    public async Task<InvoicePage> GetInvoicesAsync(Guid organizationId, string? startingAfter = null, int limit = 20, CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > 100)
        {
            throw BillingException.Invalid("limit", "'limit' must be between 1 and 100.");
        }

        if (startingAfter is not null && (!startingAfter.StartsWith("in_", StringComparison.Ordinal) || startingAfter.Length > 255 || startingAfter.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_')))
        {
            throw BillingException.Invalid("starting_after", "'starting_after' must be an invoice id (in_...) from the previous page.");
        }

        var organization = await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        if (organization.StripeCustomerId is not { } customerId)
        {
            return new InvoicePage([], false);
        }

        var page = await StripeErrors.GuardAsync(
            "list the invoices",
            () => stripe.V1.Invoices.ListAsync(new InvoiceListOptions { Customer = customerId, Limit = limit, StartingAfter = startingAfter }, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var invoices = page.Data.Select(i => new InvoiceSummary(
            i.Id,
            i.Number,
            i.Status,
            i.AmountDue,
            i.AmountPaid,
            i.Total,
            i.Currency,
            Utc(i.PeriodStart),
            Utc(i.PeriodEnd),
            i.HostedInvoiceUrl,
            i.InvoicePdf)).ToList();
        return new InvoicePage(invoices, page.HasMore);
    }

    public async Task<IReadOnlyList<PaymentMethodSummary>> GetPaymentMethodsAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        var organization = await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        if (organization.StripeCustomerId is not { } customerId)
        {
            return [];
        }

        var customer = await StripeErrors.GuardAsync(
            "read the customer",
            () => stripe.V1.Customers.GetAsync(customerId, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var methods = await StripeErrors.GuardAsync(
            "list the payment methods",
            () => stripe.V1.PaymentMethods.ListAsync(new PaymentMethodListOptions { Customer = customerId, Type = "card", Limit = 100 }, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var defaultId = customer.InvoiceSettings?.DefaultPaymentMethodId;
        return methods.Data.Select(p => new PaymentMethodSummary(
            p.Id,
            p.Card?.Brand,
            p.Card?.Last4,
            p.Card is null ? null : (int)p.Card.ExpMonth,
            p.Card is null ? null : (int)p.Card.ExpYear,
            string.Equals(p.Id, defaultId, StringComparison.Ordinal))).ToList();
    }

    public async Task<CreditBalance> GetCreditsAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        var organization = await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        if (organization.StripeCustomerId is not { } customerId)
        {
            return new CreditBalance(0, null, []);
        }

        var customer = await StripeErrors.GuardAsync(
            "read the customer",
            () => stripe.V1.Customers.GetAsync(customerId, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var transactions = await StripeErrors.GuardAsync(
            "list the customer balance transactions",
            () => stripe.V1.Customers.BalanceTransactions.ListAsync(customerId, new CustomerBalanceTransactionListOptions { Limit = 100 }, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);

        // Stripe counts a credit as a negative balance; the organization reads credit as a positive amount.
        return new CreditBalance(-customer.Balance, customer.Currency, transactions.Data.Select(ToCredit).ToList());
    }

    public async Task<CreditTransaction> GrantCreditAsync(Guid organizationId, CreditGrant grant, string actor, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (grant.Amount == 0 || grant.Amount is > MaxCreditAmount or < -MaxCreditAmount)
        {
            throw BillingException.Invalid("amount", $"'amount' must be a non-zero whole number of minor units (cents) between -{MaxCreditAmount} and {MaxCreditAmount}.");
        }

        var currency = grant.Currency?.Trim().ToLowerInvariant();
        if (currency is not { Length: 3 } || !currency.All(char.IsAsciiLetterLower))
        {
            throw BillingException.Invalid("currency", "'currency' must be a three-letter ISO currency code such as eur.");
        }

        var reason = grant.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 350)
        {
            throw BillingException.Invalid("reason", "'reason' must be 1 to 350 characters.");
        }

        var customerId = await RequireCustomerAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var customer = await StripeErrors.GuardAsync(
            "read the customer",
            () => stripe.V1.Customers.GetAsync(customerId, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (customer.Currency is { Length: > 0 } existing && !string.Equals(existing, currency, StringComparison.Ordinal))
        {
            throw BillingException.Invalid("currency", $"'currency' must be the customer's balance currency, {existing}.");
        }

        var id = organizationId.ToString("D");
        var key = idempotencyKey is null
            ? "credit:" + id + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('|', grant.Amount.ToString(CultureInfo.InvariantCulture), currency, reason))))[..24]
            : "credit:" + id + ":" + idempotencyKey;
        CustomerBalanceTransaction transaction;
        try
        {
            transaction = await StripeErrors.GuardAsync(
                "create the customer balance transaction",
                () => stripe.V1.Customers.BalanceTransactions.CreateAsync(
                    customerId,
                    new CustomerBalanceTransactionCreateOptions
                    {
                        // Stripe's balance is what the customer owes: credit is a negative amount.
                        Amount = -grant.Amount,
                        Currency = currency,
                        Description = reason,
                        Metadata = new Dictionary<string, string> { ["organization_id"] = id, ["actor"] = actor },
                    },
                    new RequestOptions { IdempotencyKey = key },
                    cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BillingException ex) when (ex.InnerException is StripeException { StripeError.Type: "idempotency_error" })
        {
            throw new BillingException(409, "idempotency_conflict", "This Idempotency-Key was already used for a different credit.", "Idempotency-Key", ex);
        }

        var credit = ToCredit(transaction);
        var data = new JsonObject
        {
            ["amount"] = grant.Amount,
            ["currency"] = currency,
            ["reason"] = reason,
            ["transaction"] = transaction.Id,
            ["balance"] = -transaction.EndingBalance,
        };

        // Recorded once per Stripe transaction: a retried grant that Stripe replayed adds no second entry.
        await events.RecordAsync(new BillingEventEntry(CreditAdjusted, organizationId, actor, data, "credit:" + transaction.Id), cancellationToken).ConfigureAwait(false);
        Log.CreditAdjusted(logger, organizationId, grant.Amount, currency, transaction.Id);
        return credit;
    }

    private async Task<Organization> RequireAsync(Guid organizationId, CancellationToken cancellationToken) =>
        await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}.", "organization_id");

    private async Task<string> RequireCustomerAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var organization = await RequireAsync(organizationId, cancellationToken).ConfigureAwait(false);
        return organization.StripeCustomerId
            ?? throw new BillingException(409, "not_linked", $"Organization {organizationId} has no Stripe customer yet.", "organization_id");
    }

    private async Task<bool> HasPaymentMethodAsync(string customerId, CancellationToken cancellationToken)
    {
        var customer = await StripeErrors.GuardAsync(
            "read the customer",
            () => stripe.V1.Customers.GetAsync(customerId, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrEmpty(customer.InvoiceSettings?.DefaultPaymentMethodId))
        {
            return true;
        }

        var methods = await StripeErrors.GuardAsync(
            "list the payment methods",
            () => stripe.V1.PaymentMethods.ListAsync(new PaymentMethodListOptions { Customer = customerId, Limit = 1 }, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return methods.Data.Count > 0;
    }

    private async Task<UpcomingInvoice?> PreviewNextInvoiceAsync(Organization organization, CancellationToken cancellationToken)
    {
        if (organization.StripeCustomerId is null || organization.StripeSubscriptionId is null || organization.CancelAtPeriodEnd
            || organization.Status == OrganizationStatus.Canceled)
        {
            return null;
        }

        try
        {
            var preview = await stripe.V1.Invoices.CreatePreviewAsync(
                new InvoiceCreatePreviewOptions { Customer = organization.StripeCustomerId, Subscription = organization.StripeSubscriptionId },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            var date = preview.NextPaymentAttempt ?? preview.PeriodEnd;
            return new UpcomingInvoice(preview.AmountDue, preview.Currency, Utc(date));
        }
        catch (Exception ex) when (ex is StripeException || StripeErrors.IsUnreachable(ex, cancellationToken))
        {
            // The page still shows the plan and usage; only the preview is missing, and the log says why.
            Log.PreviewUnavailable(logger, organization.Id, StripeErrors.Describe(ex));
            return null;
        }
    }

    private static CreditTransaction ToCredit(CustomerBalanceTransaction t) => new(
        t.Id,
        -t.Amount,
        t.Currency,
        t.Description ?? (t.Type == "applied_to_invoice" && t.InvoiceId is { } invoice ? "Applied to invoice " + invoice : t.Type),
        new DateTimeOffset(DateTime.SpecifyKind(t.Created, DateTimeKind.Utc)));

    private static DateTimeOffset? Utc(DateTime? value) =>
        value is { } v && v != default ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    /// <summary>Drops the trailing zeros the database's fixed scale adds (12.000000 is sent as 12).</summary>
    private static decimal Normalize(decimal value) => value / 1.000000000000000000000000000000000m;

    private static partial class Log
    {
        [LoggerMessage(EventId = 4701, Level = LogLevel.Information, Message = "Credit of {Amount} {Currency} recorded for organization {OrganizationId} (Stripe balance transaction {TransactionId})")]
        public static partial void CreditAdjusted(ILogger logger, Guid organizationId, long amount, string currency, string transactionId);

        [LoggerMessage(EventId = 4702, Level = LogLevel.Warning, Message = "The next invoice of organization {OrganizationId} could not be previewed: {Reason}")]
        public static partial void PreviewUnavailable(ILogger logger, Guid organizationId, string reason);
    }
}
