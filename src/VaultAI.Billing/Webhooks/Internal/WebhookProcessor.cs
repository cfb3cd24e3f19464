using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VaultAI.Billing.Diagnostics;
using VaultAI.Billing.Metering.Internal;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using Stripe;
using VaultAI.Billing.Stripe.Internal;
using CheckoutSession = Stripe.Checkout.Session;

namespace VaultAI.Billing.Webhooks.Internal;

/// <summary>What happened to one received event.</summary>
internal enum WebhookOutcome
{
    Processed,
    Ignored,
    Duplicate,
    Parked,
}

/// <summary>
/// Stores every Stripe event once (by id) and applies it. Subscription state never moves backwards: an event
/// older than the last one applied to the organization changes nothing, and a tie on <c>created</c> is broken by
/// asking Stripe for the subscription as it is now. Stripe is only called outside any database transaction.
/// An event that can never apply is parked (kept with the reason, answered 2xx, retried only by an administrator):
/// at once when it is malformed, or after <see cref="WebhookOptions.MaxAttempts"/> failures that might be transient.
/// </summary>
internal sealed partial class WebhookProcessor(
    IBillingStore store,
    StripeClient stripe,
    OutboxPlanner planner,
    Events.IBillingEventLog eventLog,
    IOptionsMonitor<VaultAIBillingOptions> options,
    TimeProvider timeProvider,
    BillingDiagnostics diagnostics,
    ILogger<WebhookProcessor> logger)
{
    private static readonly TimeSpan RetryBase = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryMax = TimeSpan.FromHours(6);

    /// <summary>Stores a verified body (the raw JSON) under its event id and applies it unless it was already applied or parked.</summary>
    /// <exception cref="BillingException">400 <c>invalid_event</c> when the body has no usable event id; 500 on a transient failure (recorded).</exception>
    public async Task<WebhookOutcome> ReceiveAsync(string json, CancellationToken cancellationToken)
    {
        var envelope = StripeEvents.ReadEnvelope(json);
        var now = timeProvider.GetUtcNow();
        var row = new WebhookInboxEvent
        {
            Id = envelope.Id,
            Type = envelope.Type,
            Created = envelope.Created ?? now,
            ApiVersion = envelope.ApiVersion,
            ReceivedAt = now,
            Status = WebhookEventStatus.Received,
            Payload = json,
        };

        diagnostics.WebhookLag(row.Created, now);
        if (!await store.TryInsertWebhookEventAsync(row, cancellationToken).ConfigureAwait(false))
        {
            var existing = await store.GetWebhookEventAsync(envelope.Id, cancellationToken).ConfigureAwait(false);
            if (existing is { Status: WebhookEventStatus.Processed or WebhookEventStatus.Ignored })
            {
                diagnostics.Webhook("duplicate");
                LogDuplicate(logger, WebhookText.Safe(envelope.Id), WebhookText.Safe(envelope.Type));
                return WebhookOutcome.Duplicate;
            }

            if (existing is { Status: WebhookEventStatus.Parked })
            {
                // Parked is final until an administrator retries it: Stripe's redelivery changes nothing.
                diagnostics.Webhook("duplicate");
                LogDuplicate(logger, WebhookText.Safe(envelope.Id), WebhookText.Safe(envelope.Type));
                return WebhookOutcome.Parked;
            }

            // A failed (or interrupted) event delivered again: Stripe is retrying, so try again too.
        }

        Event stripeEvent;
        try
        {
            stripeEvent = StripeEvents.Parse(json);
        }
        catch (MalformedEventException exception)
        {
            return await ParkAsync(envelope.Id, envelope.Type, exception.Message).ConfigureAwait(false);
        }

        if (!string.Equals(stripeEvent.Id, envelope.Id, StringComparison.Ordinal))
        {
            // Stripe.net and System.Text.Json read different ids (keys differing in case, say): the row is not this event.
            return await ParkAsync(envelope.Id, envelope.Type, "The event id is ambiguous.").ConfigureAwait(false);
        }

        return await ProcessAsync(stripeEvent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies a stored event and records the outcome. A malformed event is parked; another failure is recorded for a
    /// retry and rethrown as a 500, until the attempts run out and the event is parked.
    /// </summary>
    public async Task<WebhookOutcome> ProcessAsync(Event stripeEvent, CancellationToken cancellationToken)
    {
        (string Status, string? Note) result;
        try
        {
            result = await ApplyAsync(stripeEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsPermanent(exception))
        {
            return await ParkAsync(stripeEvent.Id, stripeEvent.Type, Reason(exception)).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var existing = await TryGetAsync(stripeEvent.Id).ConfigureAwait(false);
            var attempts = (existing?.Attempts ?? 0) + 1;
            var maxAttempts = options.CurrentValue.Webhooks.MaxAttempts;
            if (attempts >= maxAttempts && existing is not null)
            {
                LogFailed(logger, exception, WebhookText.Safe(stripeEvent.Id), WebhookText.Safe(stripeEvent.Type));
                return await ParkAsync(stripeEvent.Id, stripeEvent.Type, $"Gave up after {attempts} attempts: {StripeErrors.Describe(exception)}").ConfigureAwait(false);
            }

            var delay = TimeSpan.FromTicks(Math.Min(RetryMax.Ticks, RetryBase.Ticks * (1L << Math.Min(attempts - 1, 16))));
            var now = timeProvider.GetUtcNow();
            try
            {
                await store.CompleteWebhookEventAsync(stripeEvent.Id, WebhookEventStatus.Failed, WebhookText.Safe(StripeErrors.Describe(exception), 2000), now, now + delay, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception recordFailure)
            {
                // The database itself may be what failed; Stripe will deliver again and the row is still 'received'.
                LogRecordFailed(logger, recordFailure, WebhookText.Safe(stripeEvent.Id));
            }

            diagnostics.Webhook("failed");
            LogFailed(logger, exception, WebhookText.Safe(stripeEvent.Id), WebhookText.Safe(stripeEvent.Type));
            throw new BillingException(500, "webhook_processing_failed", $"Event {WebhookText.Safe(stripeEvent.Id)} could not be processed; it is recorded and will be retried.", innerException: exception);
        }

        var note = result.Note is null ? null : WebhookText.Safe(result.Note, 2000);
        await store.CompleteWebhookEventAsync(stripeEvent.Id, result.Status, note, timeProvider.GetUtcNow(), null, cancellationToken).ConfigureAwait(false);
        diagnostics.Webhook(result.Status);
        LogApplied(logger, WebhookText.Safe(stripeEvent.Id), WebhookText.Safe(stripeEvent.Type), result.Status, note is null ? null : WebhookText.Safe(note));
        return result.Status == WebhookEventStatus.Ignored ? WebhookOutcome.Ignored : WebhookOutcome.Processed;
    }

    /// <summary>Marks an event parked with the reason; a failure to record it is transient (500, Stripe redelivers).</summary>
    private async Task<WebhookOutcome> ParkAsync(string eventId, string type, string reason)
    {
        var safeReason = WebhookText.Safe(reason, 1000);
        try
        {
            await store.CompleteWebhookEventAsync(eventId, WebhookEventStatus.Parked, safeReason, timeProvider.GetUtcNow(), null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            LogRecordFailed(logger, exception, WebhookText.Safe(eventId));
            throw new BillingException(500, "webhook_processing_failed", $"Event {WebhookText.Safe(eventId)} could not be recorded; it will be retried.", innerException: exception);
        }

        diagnostics.Webhook(WebhookEventStatus.Parked);
        LogParked(logger, WebhookText.Safe(eventId), WebhookText.Safe(type), WebhookText.Safe(safeReason));
        return WebhookOutcome.Parked;
    }

    /// <summary>Failures no retry can fix: the event itself is wrong (or our code cannot take its shape).</summary>
    private static bool IsPermanent(Exception exception) => exception is MalformedEventException
        or Newtonsoft.Json.JsonException or System.Text.Json.JsonException or FormatException or OverflowException
        or InvalidCastException or ArgumentException;

    /// <summary>A reason to store and show: our own messages as they are, others by type only (they may quote the body).</summary>
    private static string Reason(Exception exception) => exception is MalformedEventException
        ? exception.Message
        : $"The event cannot be applied ({exception.GetType().Name}).";

    private async Task<WebhookInboxEvent?> TryGetAsync(string eventId)
    {
        try
        {
            return await store.GetWebhookEventAsync(eventId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            return null;
        }
    }

    private Task<(string Status, string? Note)> ApplyAsync(Event stripeEvent, CancellationToken cancellationToken) => stripeEvent.Type switch
    {
        "customer.subscription.created" or "customer.subscription.updated" or "customer.subscription.deleted"
            or "customer.subscription.paused" or "customer.subscription.resumed" => ApplySubscriptionAsync(stripeEvent, cancellationToken),
        "customer.subscription.trial_will_end" => ApplyTrialWillEndAsync(stripeEvent, cancellationToken),
        "invoice.created" or "invoice.finalized" or "invoice.paid" or "invoice.payment_succeeded" or "invoice.payment_failed"
            or "invoice.updated" or "invoice.voided" or "invoice.marked_uncollectible" => ApplyInvoiceAsync(stripeEvent, cancellationToken),
        "checkout.session.completed" => ApplyCheckoutAsync(stripeEvent, cancellationToken),
        _ => Task.FromResult<(string, string?)>((WebhookEventStatus.Ignored, $"Event type '{stripeEvent.Type}' is not handled.")),
    };

    private async Task<(string, string?)> ApplySubscriptionAsync(Event stripeEvent, CancellationToken cancellationToken)
    {
        var subscription = ReadSubscription(stripeEvent);
        var organization = await store.FindOrganizationByStripeAsync(subscription.CustomerId, subscription.Id, cancellationToken).ConfigureAwait(false);
        if (organization is null)
        {
            // Stripe often delivers 'created' before our own link has committed, and a subscription made by hand in
            // Stripe's dashboard has no link at all: either way its metadata names the organization.
            if (await TryLinkFromMetadataAsync(stripeEvent, subscription, cancellationToken).ConfigureAwait(false) is { } linked)
            {
                return linked;
            }

            return (WebhookEventStatus.Ignored, $"No organization is linked to subscription {subscription.Id} or customer {subscription.CustomerId}.");
        }

        if (organization.StripeSubscriptionId != subscription.Id)
        {
            return (WebhookEventStatus.Ignored, $"Organization {organization.Id} is linked to another subscription ({organization.StripeSubscriptionId}).");
        }

        var state = subscription;
        var deleted = stripeEvent.Type == "customer.subscription.deleted";
        var now = timeProvider.GetUtcNow();
        var applied = false;
        var fresh = false;
        StatusTransition? transition = null;
        while (true)
        {
            var tie = false;
            await store.UpdateOrganizationAsync(organization.Id, org =>
            {
                transition = null;
                tie = false;
                if (org.LastSubscriptionEventAt is { } last
                    && (stripeEvent.CreatedAt() < last || (stripeEvent.CreatedAt() == last && org.LastSubscriptionEventId == stripeEvent.Id)))
                {
                    return false;
                }

                if (!fresh && org.LastSubscriptionEventAt == stripeEvent.CreatedAt())
                {
                    // Another event of the same second was applied (perhaps while this one was on its way): their order is
                    // unknown, so this one must not overwrite it with what it claims. Ask Stripe what is true now (outside
                    // the transaction) and decide again.
                    tie = true;
                    return false;
                }

                // A canceled subscription is final: nothing later about it may revive it.
                if (org.StripeSubscriptionStatus is "canceled" or "incomplete_expired" && !deleted)
                {
                    return false;
                }

                var before = org.Status;
                SubscriptionState.Apply(org, state, stripeEvent.CreatedAt());
                if (deleted && SubscriptionState.FreePlanAfterEnd(state) is null)
                {
                    SubscriptionState.ApplyStatus(org, OrganizationStatus.Canceled, "canceled", stripeEvent.CreatedAt());
                }

                transition = new StatusTransition(before, org.Status);
                org.PlanKey = SubscriptionState.FreePlanAfterEnd(state) ?? PlanFor(state) ?? org.PlanKey;
                org.LastSubscriptionEventAt = stripeEvent.CreatedAt();
                org.LastSubscriptionEventId = stripeEvent.Id;
                org.UpdatedAt = now;
                applied = true;
                return true;
            }, cancellationToken).ConfigureAwait(false);

            if (!tie)
            {
                break;
            }

            state = await stripe.V1.Subscriptions.GetAsync(subscription.Id, cancellationToken: cancellationToken).ConfigureAwait(false);
            deleted = state.Status is "canceled" or "incomplete_expired";
            fresh = true;
        }

        await RecordTransitionAsync(stripeEvent, organization.Id, transition, cancellationToken).ConfigureAwait(false);
        return applied
            ? (WebhookEventStatus.Processed, null)
            : (WebhookEventStatus.Processed, "Older than the state already applied (or about a canceled subscription); nothing changed.");
    }

    /// <summary>Links a pending organization named by the subscription's <c>metadata.organization_id</c>.</summary>
    private async Task<(string, string?)?> TryLinkFromMetadataAsync(Event stripeEvent, Subscription subscription, CancellationToken cancellationToken)
    {
        if (stripeEvent.Type == "customer.subscription.deleted" || subscription.Status is "canceled" or "incomplete_expired" || subscription.CustomerId is null
            || subscription.Metadata?.TryGetValue("organization_id", out var reference) != true || !Guid.TryParse(reference, out var organizationId))
        {
            return null;
        }

        var pending = await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false);
        if (pending is null)
        {
            return null;
        }

        if (pending.IsLinked)
        {
            // Linked meanwhile (to this subscription, or another): apply the event through the normal path.
            return pending.StripeSubscriptionId == subscription.Id ? await ApplySubscriptionAsync(stripeEvent, cancellationToken).ConfigureAwait(false) : null;
        }

        var now = timeProvider.GetUtcNow();
        var settings = options.CurrentValue;
        var outcome = await store.CommitLinkAsync(organizationId, org =>
        {
            org.StripeCustomerId = subscription.CustomerId;
            org.StripeSubscriptionId = subscription.Id;
            org.PlanKey = PlanFor(subscription) ?? (subscription.Metadata?.TryGetValue("plan", out var plan) == true && settings.Plans.ContainsKey(plan) ? plan : null);
            org.DeploymentType ??= subscription.Metadata?.TryGetValue("deployment_type", out var deployment) == true && Linking.DeploymentTypes.IsValid(deployment)
                ? deployment
                : settings.AutomaticDeploymentType;
            org.LinkedAt = now;
            SubscriptionState.Apply(org, subscription, stripeEvent.CreatedAt());
            org.LastSubscriptionEventAt = stripeEvent.CreatedAt();
            org.LastSubscriptionEventId = stripeEvent.Id;
        }, planner.Plan, cancellationToken).ConfigureAwait(false);

        if (outcome == LinkCommitOutcome.Committed)
        {
            await RecordAsync(stripeEvent, Events.BillingEventTypes.Linked, organizationId, new() { ["subscription"] = subscription.Id, ["via"] = "subscription_metadata" }, cancellationToken).ConfigureAwait(false);
        }

        return outcome switch
        {
            LinkCommitOutcome.Committed => (WebhookEventStatus.Processed, $"Linked organization {organizationId} from the subscription's metadata."),
            LinkCommitOutcome.AlreadyLinked => await ApplySubscriptionAsync(stripeEvent, cancellationToken).ConfigureAwait(false),
            _ => null,
        };
    }

    private async Task<(string, string?)> ApplyTrialWillEndAsync(Event stripeEvent, CancellationToken cancellationToken)
    {
        var subscription = ReadSubscription(stripeEvent);
        var organization = await store.FindOrganizationByStripeAsync(subscription.CustomerId, subscription.Id, cancellationToken).ConfigureAwait(false);
        if (organization is null)
        {
            return (WebhookEventStatus.Ignored, $"No organization is linked to subscription {subscription.Id}.");
        }

        await store.UpdateOrganizationAsync(organization.Id, org =>
        {
            org.TrialWillEndNotifiedAt = stripeEvent.CreatedAt();
            org.TrialEnd = subscription.TrialEnd.ToUtcOffset() ?? org.TrialEnd;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        await RecordAsync(stripeEvent, Events.BillingEventTypes.TrialEnding, organization.Id, new() { ["trial_end"] = subscription.TrialEnd.ToUtcOffset() }, cancellationToken).ConfigureAwait(false);
        return (WebhookEventStatus.Processed, null);
    }

    private async Task<(string, string?)> ApplyInvoiceAsync(Event stripeEvent, CancellationToken cancellationToken)
    {
        var invoice = StripeEvents.DataObject<Invoice>(stripeEvent, "invoice");
        // Since API 2025-03-31.basil an invoice names its subscription under parent.subscription_details.
        var invoiceSubscription = invoice.Parent?.SubscriptionDetails?.SubscriptionId;
        // Everything below may reach a column or a log: check it all before anything is written.
        StripeEvents.RequireId(invoice.Id, "data.object.id");
        StripeEvents.RequireId(invoice.CustomerId, "data.object.customer", required: false);
        StripeEvents.RequireId(invoiceSubscription, "data.object.parent.subscription_details.subscription", required: false);
        StripeEvents.RequireText(invoice.Number, "data.object.number", 100);
        StripeEvents.RequireText(invoice.Status, "data.object.status", 32);
        StripeEvents.RequireText(invoice.HostedInvoiceUrl, "data.object.hosted_invoice_url", 2000);
        StripeEvents.RequireText(invoice.InvoicePdf, "data.object.invoice_pdf", 2000);
        if (invoice.Currency is not null && (invoice.Currency.Length != 3 || !invoice.Currency.All(char.IsAsciiLetter)))
        {
            throw new MalformedEventException("data.object.currency is not a three-letter currency code.");
        }

        var organization = await store.FindOrganizationByStripeAsync(invoice.CustomerId, invoiceSubscription, cancellationToken).ConfigureAwait(false);
        if (organization is null || invoice.Id is null)
        {
            return (WebhookEventStatus.Ignored, $"No organization is linked to customer {invoice.CustomerId}.");
        }

        var now = timeProvider.GetUtcNow();
        await store.UpsertInvoiceAsync(new InvoiceRecord
        {
            Id = invoice.Id,
            OrganizationId = organization.Id,
            Number = invoice.Number,
            Status = invoice.Status ?? "",
            AmountDue = invoice.AmountDue,
            AmountPaid = invoice.AmountPaid,
            OverageAmount = Plans.Internal.RevenueCalculator.OverageAmount(options.CurrentValue.Plans, organization.PlanKey, invoice),
            Currency = invoice.Currency ?? "",
            PeriodStart = invoice.PeriodStart.ToUtcOffset(),
            PeriodEnd = invoice.PeriodEnd.ToUtcOffset(),
            HostedInvoiceUrl = invoice.HostedInvoiceUrl,
            InvoicePdf = invoice.InvoicePdf,
            LastEventAt = stripeEvent.CreatedAt(),
            UpdatedAt = now,
        }, cancellationToken).ConfigureAwait(false);

        var failed = stripeEvent.Type == "invoice.payment_failed";
        var paid = stripeEvent.Type is "invoice.paid" or "invoice.payment_succeeded";
        if (!failed && !paid)
        {
            return (WebhookEventStatus.Processed, null);
        }

        if (failed || stripeEvent.Type == "invoice.paid")
        {
            await RecordAsync(
                stripeEvent,
                failed ? Events.BillingEventTypes.PaymentFailed : Events.BillingEventTypes.InvoicePaid,
                organization.Id,
                new() { ["invoice"] = invoice.Id, ["amount_due"] = invoice.AmountDue, ["amount_paid"] = invoice.AmountPaid, ["currency"] = invoice.Currency, ["hosted_invoice_url"] = invoice.HostedInvoiceUrl },
                cancellationToken).ConfigureAwait(false);
        }

        StatusTransition? transition = null;
        await store.UpdateOrganizationAsync(organization.Id, org =>
        {
            transition = null;
            if (invoiceSubscription is not null && org.StripeSubscriptionId != invoiceSubscription)
            {
                return false;
            }

            if (org.LastSubscriptionEventAt is { } last && stripeEvent.CreatedAt() < last)
            {
                return false;
            }

            if (failed && org.Status is OrganizationStatus.Active or OrganizationStatus.Trial or OrganizationStatus.PastDue)
            {
                transition = SubscriptionState.ApplyStatus(org, OrganizationStatus.PastDue, "past_due", stripeEvent.CreatedAt());
            }
            else if (paid && org.Status is OrganizationStatus.PastDue or OrganizationStatus.Unpaid)
            {
                // Paying a trial's zero invoice must not end the trial: only a past-due organization recovers here.
                transition = SubscriptionState.ApplyStatus(org, OrganizationStatus.Active, "active", stripeEvent.CreatedAt());
            }
            else
            {
                return false;
            }

            org.LastSubscriptionEventAt = stripeEvent.CreatedAt();
            org.LastSubscriptionEventId = stripeEvent.Id;
            org.UpdatedAt = now;
            return true;
        }, cancellationToken).ConfigureAwait(false);
        await RecordTransitionAsync(stripeEvent, organization.Id, transition, cancellationToken).ConfigureAwait(false);
        return (WebhookEventStatus.Processed, null);
    }

    private async Task<(string, string?)> ApplyCheckoutAsync(Event stripeEvent, CancellationToken cancellationToken)
    {
        var session = StripeEvents.DataObject<CheckoutSession>(stripeEvent, "checkout.session");
        StripeEvents.RequireId(session.SubscriptionId, "data.object.subscription", required: false);
        StripeEvents.RequireId(session.CustomerId, "data.object.customer", required: false);
        var reference = session.ClientReferenceId ?? (session.Metadata?.TryGetValue("organization_id", out var fromMetadata) == true ? fromMetadata : null);
        if (!Guid.TryParse(reference, out var organizationId))
        {
            return (WebhookEventStatus.Ignored, "The checkout session names no organization (client_reference_id or metadata.organization_id).");
        }

        var organization = await store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false);
        if (organization is null)
        {
            return (WebhookEventStatus.Ignored, $"Unknown organization {organizationId}.");
        }

        if (organization.IsLinked)
        {
            if (await SelfService.Internal.SubscriptionReplacement.TryApplyAsync(store, stripe, eventLog, stripeEvent, organization, session, PlanFor, cancellationToken).ConfigureAwait(false) is { } replaced)
            {
                return replaced;
            }

            return (WebhookEventStatus.Processed, organization.StripeSubscriptionId == session.SubscriptionId ? null : $"Organization {organizationId} is already linked to {organization.StripeSubscriptionId}.");
        }

        if (session.SubscriptionId is null || session.CustomerId is null)
        {
            return (WebhookEventStatus.Ignored, "The checkout session has no subscription.");
        }

        var subscription = await stripe.V1.Subscriptions.GetAsync(session.SubscriptionId, cancellationToken: cancellationToken).ConfigureAwait(false);
        var now = timeProvider.GetUtcNow();
        var settings = options.CurrentValue;
        var committed = await store.CommitLinkAsync(organizationId, org =>
        {
            org.StripeCustomerId = session.CustomerId;
            org.StripeSubscriptionId = subscription.Id;
            org.PlanKey = PlanFor(subscription) ?? (session.Metadata?.TryGetValue("plan", out var plan) == true ? plan : null);
            org.DeploymentType ??= session.Metadata?.TryGetValue("deployment_type", out var deployment) == true && Linking.DeploymentTypes.IsValid(deployment)
                ? deployment
                : settings.AutomaticDeploymentType;
            org.LinkedAt = now;
            SubscriptionState.Apply(org, subscription, stripeEvent.CreatedAt());
        }, planner.Plan, cancellationToken).ConfigureAwait(false);
        if (committed == LinkCommitOutcome.Committed)
        {
            await RecordAsync(stripeEvent, Events.BillingEventTypes.Linked, organizationId, new() { ["subscription"] = subscription.Id, ["via"] = "checkout" }, cancellationToken).ConfigureAwait(false);
        }

        return (WebhookEventStatus.Processed, null);
    }

    /// <summary>The event's subscription, checked before anything reaches the database, Stripe or a log.</summary>
    private static Subscription ReadSubscription(Event stripeEvent)
    {
        var subscription = StripeEvents.DataObject<Subscription>(stripeEvent, "subscription");
        StripeEvents.RequireId(subscription.Id, "data.object.id");
        StripeEvents.RequireId(subscription.CustomerId, "data.object.customer", required: false);
        StripeEvents.RequireSubscriptionStatus(subscription.Status);
        return subscription;
    }

    /// <summary>The plan one of whose prices (base, seats or overage) the subscription carries, through the catalog.</summary>
    private string? PlanFor(Subscription subscription)
    {
        foreach (var item in subscription.Items?.Data ?? [])
        {
            foreach (var (key, plan) in options.CurrentValue.Plans)
            {
                if (item.Price?.Id is { } priceId && plan.HasPrice(priceId))
                {
                    return key;
                }
            }
        }

        return null;
    }

    /// <summary>Records the billing event of a status change made by a Stripe event (past due, resumed, canceled).</summary>
    private Task RecordTransitionAsync(Event stripeEvent, Guid organizationId, StatusTransition? transition, CancellationToken cancellationToken)
    {
        if (transition is not { Changed: true } change)
        {
            return Task.CompletedTask;
        }

        var type = change.After switch
        {
            OrganizationStatus.PastDue => Events.BillingEventTypes.PastDue,
            OrganizationStatus.Canceled => Events.BillingEventTypes.Canceled,
            OrganizationStatus.Active or OrganizationStatus.Trial when change.LeftPastDue || change.Before == OrganizationStatus.Unpaid => Events.BillingEventTypes.Resumed,
            _ => null,
        };
        return type is null
            ? Task.CompletedTask
            : RecordAsync(stripeEvent, type, organizationId, new() { ["from"] = change.Before, ["to"] = change.After }, cancellationToken);
    }

    /// <summary>Records a billing event once per Stripe event (a redelivered or retried event records nothing new).</summary>
    private Task RecordAsync(Event stripeEvent, string type, Guid organizationId, System.Text.Json.Nodes.JsonObject data, CancellationToken cancellationToken)
    {
        data["stripe_event"] = stripeEvent.Id;
        return eventLog.RecordAsync(new Events.BillingEventEntry(type, organizationId, Events.BillingActors.Stripe, data, $"stripe:{stripeEvent.Id}:{type}"), cancellationToken);
    }

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Stripe event {EventId} ({Type}): {Status} {Note}")]
    private static partial void LogApplied(ILogger logger, string eventId, string type, string status, string? note);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Stripe event {EventId} ({Type}) already processed: duplicate delivery ignored")]
    private static partial void LogDuplicate(ILogger logger, string eventId, string type);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Error, Message = "Stripe event {EventId} ({Type}) failed; recorded for retry")]
    private static partial void LogFailed(ILogger logger, Exception exception, string eventId, string type);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Error, Message = "Could not record the failure of Stripe event {EventId}")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception, string eventId);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Warning, Message = "Stripe event {EventId} ({Type}) parked: {Reason}. It is answered 2xx and retried only by an administrator")]
    private static partial void LogParked(ILogger logger, string eventId, string type, string reason);
}
