using VaultAI.Billing.Events.Internal;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Credentials.Internal;
using VaultAI.Billing.Linking;
using VaultAI.Billing.Linking.Internal;
using VaultAI.Billing.Storage;

namespace VaultAI.Billing.Organizations.Internal;

/// <summary>A registration as an instance sent it, validated.</summary>
internal sealed record RegistrationRequest(Guid OrganizationId, string OrganizationName, string? InstanceUrl, string? Email, string? BearerToken, string? EnrollmentKey);

/// <summary>The answer to a registration. <see cref="Token"/> is set only when a new token was issued.</summary>
internal sealed record RegistrationOutcome(Organization Organization, string? Token, bool AlreadyRegistered);

/// <summary>Creates pending organizations with their own token; links them at once in automatic mode.</summary>
internal sealed partial class RegistrationService(
    Events.IBillingEventLog eventLog,
    IBillingStore store,
    LinkingService linking,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    ILogger<RegistrationService> logger)
{
    public async Task<RegistrationOutcome> RegisterAsync(RegistrationRequest request, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        CheckEnrollmentKey(settings.Registration.EnrollmentKey, request.EnrollmentKey);
        if (settings.LinkingMode == LinkingMode.Automatic && request.Email is null)
        {
            throw BillingException.Invalid("email", "'email' is required: this billing host links new organizations to Stripe at registration.", "missing_field");
        }

        var existing = await store.GetOrganizationAsync(request.OrganizationId, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return await AlreadyRegisteredAsync(existing, request.BearerToken, cancellationToken).ConfigureAwait(false);
        }

        var now = timeProvider.GetUtcNow();
        var token = InstanceTokens.NewToken();
        var organization = new Organization
        {
            Id = request.OrganizationId,
            Name = request.OrganizationName,
            InstanceUrl = request.InstanceUrl,
            AdminEmail = request.Email,
            Status = OrganizationStatus.Pending,
            CreatedAt = now,
            UpdatedAt = now,
        };

        if (!await store.TryCreateOrganizationAsync(organization, InstanceTokens.NewCredential(organization.Id, token, now), cancellationToken).ConfigureAwait(false))
        {
            // Another registration of the same id won the race: the same rules as for an existing organization apply.
            existing = await store.GetOrganizationAsync(request.OrganizationId, cancellationToken).ConfigureAwait(false);
            return await AlreadyRegisteredAsync(existing!, request.BearerToken, cancellationToken).ConfigureAwait(false);
        }

        LogRegistered(logger, organization.Id);
        // Best effort: the organization and its token are committed, and the instance must receive the token.
        await eventLog.RecordBestEffortAsync(new Events.BillingEventEntry(Events.BillingEventTypes.Registered, organization.Id, Events.BillingActors.Instance), logger, cancellationToken).ConfigureAwait(false);
        if (settings.LinkingMode == LinkingMode.Automatic)
        {
            organization = await TryLinkAutomaticallyAsync(organization, request.Email!, settings, cancellationToken).ConfigureAwait(false);
            if (organization.IsLinked)
            {
                await eventLog.RecordBestEffortAsync(new Events.BillingEventEntry(Events.BillingEventTypes.Linked, organization.Id, Events.BillingActors.System, new() { ["via"] = "automatic" }), logger, cancellationToken).ConfigureAwait(false);
            }
        }

        return new RegistrationOutcome(organization, token, AlreadyRegistered: false);
    }

    private async Task<RegistrationOutcome> AlreadyRegisteredAsync(Organization existing, string? bearerToken, CancellationToken cancellationToken)
    {
        if (bearerToken is not null)
        {
            var credential = await store.FindActiveCredentialAsync(InstanceTokens.Hash(bearerToken), cancellationToken).ConfigureAwait(false);
            if (credential is not null && credential.OrganizationId == existing.Id && InstanceTokens.Matches(bearerToken, credential.TokenHash))
            {
                return new RegistrationOutcome(existing, Token: null, AlreadyRegistered: true);
            }
        }

        throw new BillingException(409, "organization_exists",
            $"Organization {existing.Id} is already registered. Re-register with its billing token, or ask the billing administrator to reset the token.",
            "organization_id");
    }

    private async Task<Organization> TryLinkAutomaticallyAsync(Organization organization, string email, VaultAIBillingOptions settings, CancellationToken cancellationToken)
    {
        try
        {
            return await linking.LinkAsync(
                organization.Id,
                new LinkRequest { AdminEmail = email, DeploymentType = settings.AutomaticDeploymentType, PlanKey = settings.AutomaticPlan! },
                cancellationToken).ConfigureAwait(false);
        }
        catch (BillingException exception)
        {
            // The organization stays pending with its token: the instance is registered, and an administrator
            // (or the next registration with the token) can link it once Stripe answers again.
            LogAutomaticLinkFailed(logger, organization.Id, exception.Code, exception.StripeRequestId);
            return organization;
        }
    }

    private static void CheckEnrollmentKey(string? expected, string? presented)
    {
        if (string.IsNullOrEmpty(expected))
        {
            return;
        }

        if (string.IsNullOrEmpty(presented))
        {
            throw new BillingException(401, "enrollment_key_required", "This billing host requires an enrollment key in the 'X-Enrollment-Key' header.", "X-Enrollment-Key");
        }

        var a = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        if (!CryptographicOperations.FixedTimeEquals(a, b))
        {
            throw new BillingException(403, "enrollment_key_invalid", "The enrollment key is not valid.", "X-Enrollment-Key");
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Organization {OrganizationId} registered (pending)")]
    private static partial void LogRegistered(ILogger logger, Guid organizationId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Automatic linking of organization {OrganizationId} failed ({Code}, Stripe request {StripeRequestId}); it stays pending")]
    private static partial void LogAutomaticLinkFailed(ILogger logger, Guid organizationId, string code, string? stripeRequestId);
}
