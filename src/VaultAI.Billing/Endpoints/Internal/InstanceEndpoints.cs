using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Organizations.Internal;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>The routes instances call. Every one authenticates with the organization's own token, except registration.</summary>
internal static class InstanceEndpoints
{
    private const int MaxIdempotencyKeyLength = 255;

    public static void Map(RouteGroupBuilder group)
    {
        group.AddEndpointFilter(ProblemFilter);
        group.MapPost("/organizations/register", RegisterAsync).WithName("RegisterOrganization").WithRequestSchema<RegisterRequestBody>().Produces<RegisterResponse>().Produces<RegisterResponse>(StatusCodes.Status201Created).ProducesProblem(409);
        group.MapPost("/usage-report", (HttpContext context, CancellationToken ct) => ReportAsync(context, legacy: false, ct)).WithName("ReportUsage").WithRequestSchema<UsageReportRequestBody>().Produces<UsageReportResponse>().ProducesProblem(402).ProducesProblem(404).ProducesProblem(409);
        group.MapPost("/meter-events", (HttpContext context, CancellationToken ct) => ReportAsync(context, legacy: true, ct)).WithName("ReportMeterEvent").WithRequestSchema<MeterEventRequestBody>().Produces<UsageReportResponse>().ProducesProblem(402).ProducesProblem(404).ProducesProblem(409);
        group.MapGet("/organizations/{organizationId}/status", StatusAsync).WithName("GetOrganizationStatus").Produces<StatusResponse>().ProducesProblem(404);
        group.MapPost("/organizations/{organizationId}/entitlements/check", CheckEntitlementAsync).WithName("CheckEntitlement").WithRequestSchema<EntitlementCheckRequestBody>().Produces<EntitlementCheckResponse>().ProducesProblem(402).ProducesProblem(404);
    }

    /// <summary>Turns <see cref="BillingException"/> into problem details; anything else stays a 500 without details.</summary>
    internal static async ValueTask<object?> ProblemFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (BillingException exception)
        {
            var path = context.HttpContext.Request.Path.Value ?? "";
            if (path.EndsWith("/usage-report", StringComparison.Ordinal) || path.EndsWith("/meter-events", StringComparison.Ordinal))
            {
                context.HttpContext.RequestServices.GetRequiredService<BillingDiagnostics>().ReportRejected(exception.Code);
            }

            return Problems.From(exception, context.HttpContext);
        }
    }

    private static async Task<IResult> RegisterAsync(HttpContext context, RegistrationService registration, InstanceAuthenticator authenticator, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        // Registration is open to anyone: each one spends the client address's unauthenticated budget, before any work.
        authenticator.SpendUnauthenticated(context);
        RegistrationRequest request;
        using (var body = await JsonBody.ReadAsync(context.Request, options.CurrentValue.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            var email = body.OptionalEmail("email");
            request = new RegistrationRequest(
                body.RequiredGuid("organization_id"),
                body.RequiredString("organization_name"),
                body.OptionalString("instance_url"),
                email,
                InstanceTokens.FromAuthorizationHeader(context.Request.Headers.Authorization),
                context.Request.Headers["X-Enrollment-Key"].FirstOrDefault());
        }

        var outcome = await registration.RegisterAsync(request, cancellationToken).ConfigureAwait(false);
        var org = outcome.Organization;
        var response = new RegisterResponse(true, org.Id, outcome.Token, org.Status, org.StripeCustomerId, org.StripeSubscriptionId, org.TrialEnd, outcome.AlreadyRegistered);
        return outcome.AlreadyRegistered
            ? TypedResults.Json(response, WireJsonContext.Default.RegisterResponse)
            : TypedResults.Json(response, WireJsonContext.Default.RegisterResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ReportAsync(HttpContext context, bool legacy, CancellationToken cancellationToken)
    {
        var services = context.RequestServices;
        var authenticator = services.GetRequiredService<InstanceAuthenticator>();
        var ingestion = services.GetRequiredService<UsageIngestion>();
        var options = services.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>().CurrentValue;

        // Authenticate before reading the body: an unauthenticated caller learns nothing about validation. A token this host
        // has not verified recently (an organization's first report of the day) is checked by the report's own write when the
        // store can, so the first report is one round trip like the later ones; should the body then fail validation, the
        // token is checked on its own first, and a bad token is still answered 401, not 400.
        var credential = authenticator.FindCached(context.Request, out var tokenHash);
        var firstReports = credential is null ? authenticator.FirstReportStore : null;
        if (credential is null && firstReports is null)
        {
            credential = await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        }

        IncomingReport incoming;
        PreparedReport prepared;
        try
        {
            incoming = await ReadReportAsync(context.Request, legacy, options, cancellationToken).ConfigureAwait(false);
            prepared = ingestion.Prepare(incoming);
        }
        catch (BillingException) when (credential is null)
        {
            await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
            throw;
        }

        IngestResult result;
        if (credential is null)
        {
            var outcome = await ingestion.IngestWithTokenAsync(prepared, tokenHash, firstReports!, cancellationToken).ConfigureAwait(false);
            credential = authenticator.Accept(context, outcome.Credential);
            InstanceAuthenticator.Authorize(credential, incoming.OrganizationId);
            result = outcome.Result ?? throw new InvalidOperationException("The store wrote nothing for an active credential of the report's organization.");
        }
        else
        {
            InstanceAuthenticator.Authorize(credential, incoming.OrganizationId);
            result = await ingestion.IngestAsync(prepared, cancellationToken).ConfigureAwait(false);
        }

        await authenticator.TouchAsync(credential, cancellationToken).ConfigureAwait(false);

        var response = new UsageReportResponse(
            true,
            result.Duplicate ? "Usage report already received" : "Usage report received",
            result.Report.Id,
            result.Organization.Status,
            result.Duplicate,
            result.Report.Billable);
        return TypedResults.Json(response, WireJsonContext.Default.UsageReportResponse);
    }

    private static async Task<IncomingReport> ReadReportAsync(HttpRequest request, bool legacy, VaultAIBillingOptions options, CancellationToken cancellationToken)
    {
        var idempotencyKey = ReadIdempotencyKey(request);
        using var body = await JsonBody.ReadAsync(request, options.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false);
        var organizationId = body.RequiredGuid("organization_id");
        var quantity = body.RequiredInteger("user_count", 0, options.MaxUserCount);
        var timestamp = body.RequiredTimestamp("timestamp");
        if (!legacy)
        {
            return new IncomingReport(organizationId, quantity, timestamp, idempotencyKey, "usage-report", body.OptionalString("organization_name"), body.OptionalString("instance_url"));
        }

        var deployment = body.OptionalString("deployment_type", 32);
        if (deployment is not null && !Linking.DeploymentTypes.IsValid(deployment))
        {
            throw BillingException.Invalid("deployment_type", "'deployment_type' must be 'on-premise' or 'managed-cloud'.");
        }

        return new IncomingReport(organizationId, quantity, timestamp, idempotencyKey, "meter-events", DeploymentType: deployment);
    }

    private static async Task<IResult> StatusAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, IBillingStore store, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var credential = await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        var id = JsonBody.ParseId(organizationId, "organization_id");

        InstanceAuthenticator.Authorize(credential, id);
        var organization = await store.GetOrganizationAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {id}.", "organization_id");
        return TypedResults.Json(StatusViews.Status(organization, options.CurrentValue, timeProvider.GetUtcNow()), WireJsonContext.Default.StatusResponse);
    }

    /// <summary>
    /// May the organization use <c>quantity</c> of a metric now, given what it has recorded this period? 200 when it may;
    /// 402 problem details (<c>code</c>, <c>quota</c>, <c>upgrade_url</c>) when the subscription does not entitle it or the
    /// plan's hard limit would be exceeded. The same <see cref="Entitlements.IEntitlementService"/> as <c>RequireEntitlement</c>.
    /// </summary>
    private static async Task<IResult> CheckEntitlementAsync(string organizationId, HttpContext context, InstanceAuthenticator authenticator, Entitlements.IEntitlementService entitlements, IOptionsMonitor<VaultAIBillingOptions> options, CancellationToken cancellationToken)
    {
        var credential = await authenticator.AuthenticateAsync(context.Request, cancellationToken).ConfigureAwait(false);
        var id = JsonBody.ParseId(organizationId, "organization_id");

        InstanceAuthenticator.Authorize(credential, id);
        var settings = options.CurrentValue;
        string metric;
        long quantity;
        using (var body = await JsonBody.ReadAsync(context.Request, settings.MaxRequestBodyBytes, cancellationToken).ConfigureAwait(false))
        {
            metric = body.OptionalString("metric", 64) ?? settings.ReportMetric;
            quantity = body.RequiredInteger("quantity", 0, long.MaxValue);
        }

        if (!settings.Metrics.ContainsKey(metric) && !settings.Plans.Values.Any(p => p.Limits.ContainsKey(metric)))
        {
            throw BillingException.Invalid("metric", $"'metric' must be a metric of the catalog; '{metric}' is not.");
        }

        var decision = await entitlements.CheckAsync(id, metric, quantity, cancellationToken).ConfigureAwait(false);
        return decision.Allowed
            ? Entitlements.Internal.EntitlementAnswers.Allowed(decision, quantity)
            : Entitlements.Internal.EntitlementFilters.Refusal(decision, context);
    }

    internal static string? ReadIdempotencyKey(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("Idempotency-Key", out var values))
        {
            return null;
        }

        var key = values.ToString().Trim();
        return key.Length is 0 or > MaxIdempotencyKeyLength || key.AsSpan().ContainsAnyExceptInRange((char)0x21, (char)0x7e)
            ? throw BillingException.Invalid("Idempotency-Key", $"The 'Idempotency-Key' header must be 1 to {MaxIdempotencyKeyLength} printable ASCII characters.")
            : key;
    }
}
