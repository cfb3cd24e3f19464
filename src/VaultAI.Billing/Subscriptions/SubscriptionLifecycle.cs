using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Stripe;
using VaultAI.Billing.Events;
using VaultAI.Billing.Organizations;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using VaultAI.Billing.Stripe.Internal;
using VaultAI.Billing.Subscriptions.Internal;

namespace VaultAI.Billing.Subscriptions;

/// <summary>
/// Changes a linked organization's subscription: plan and interval, seat quantity, and resuming a subscription set to
/// cancel at the end of its period. Every operation reads the subscription from Stripe, computes what differs from the
/// request, and changes only that, so a second identical call changes nothing and answers the same. Stripe calls carry
/// idempotency keys derived from the request and the organization's version, so a crash and retry acts once.
/// </summary>
public sealed partial class SubscriptionLifecycle
{
    private static readonly string[] ProrationBehaviors = ["create_prorations", "none", "always_invoice"];

    private readonly IBillingStore _store;
    private readonly StripeClient _stripe;
    private readonly IOptionsMonitor<VaultAIBillingOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly IBillingEventLog _events;
    private readonly ILogger<SubscriptionLifecycle> _logger;

    internal SubscriptionLifecycle(IBillingStore store, StripeClient stripe, IOptionsMonitor<VaultAIBillingOptions> options, TimeProvider timeProvider, ILogger<SubscriptionLifecycle> logger, IBillingEventLog events)
    {
        _events = events;
        _store = store;
        _stripe = stripe;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>
    /// Moves the organization to another plan or interval: swaps, adds and removes subscription items; moving to a free
    /// plan cancels the subscription at the end of its period; moving from none (free, or ended) creates one.
    /// </summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="request">The plan, interval and proration behavior.</param>
    /// <param name="actor">Who asks for the change, recorded with it.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The organization after the change.</returns>
    /// <exception cref="BillingException">400 naming the field, 404, 409 when not linked to Stripe, 402/502 when Stripe refuses or fails.</exception>
    public async Task<Organization> ChangePlanAsync(Guid organizationId, PlanChangeRequest request, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (plan, yearlyWanted, proration) = Validate(request);
        var organization = await RequireLinkedAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var subscription = await ReadLiveSubscriptionAsync(organization, cancellationToken).ConfigureAwait(false);
        var yearly = yearlyWanted ?? (subscription is not null && SubscriptionDiff.IsYearly(subscription));
        var target = plan.SubscriptionItems(yearly);
        var keyBase = string.Create(CultureInfo.InvariantCulture, $"plan:{organizationId:D}:{organization.Version}:{request.PlanKey}:{(yearly ? "yearly" : "monthly")}:{proration}");

        if (target.Count == 0)
        {
            // A free plan has no Stripe subscription: the paid one runs to the end of the period it was paid for.
            if (subscription is not null && !subscription.CancelAtPeriodEnd)
            {
                subscription = await StripeErrors.GuardAsync(
                    "cancel the subscription at period end",
                    () => _stripe.V1.Subscriptions.UpdateAsync(
                        subscription.Id,
                        new SubscriptionUpdateOptions { CancelAtPeriodEnd = true, Metadata = new Dictionary<string, string> { ["plan_after_period_end"] = request.PlanKey } },
                        new RequestOptions { IdempotencyKey = keyBase + ":free" },
                        cancellationToken),
                    cancellationToken).ConfigureAwait(false);
                var ending = await ApplyAsync(organizationId, subscription, planKey: null, cancellationToken).ConfigureAwait(false);
                await RecordChangeAsync(organizationId, actor, "plan_change_scheduled", Data(("plan", request.PlanKey), ("at", subscription.Items.Data.FirstOrDefault()?.CurrentPeriodEnd.ToString("O", CultureInfo.InvariantCulture)))).ConfigureAwait(false);
                return ending;
            }

            if (subscription is null && organization.PlanKey != request.PlanKey)
            {
                var moved = await _store.UpdateOrganizationAsync(organizationId, org =>
                {
                    org.PlanKey = request.PlanKey;
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                await RecordChangeAsync(organizationId, actor, "plan_changed", Data(("from", organization.PlanKey), ("to", request.PlanKey))).ConfigureAwait(false);
                return moved!;
            }

            return organization;
        }

        if (subscription is null)
        {
            var created = await StripeErrors.GuardAsync(
                "create the subscription",
                () => _stripe.V1.Subscriptions.CreateAsync(
                    new SubscriptionCreateOptions
                    {
                        Customer = organization.StripeCustomerId,
                        Items = target.Select(i => new SubscriptionItemOptions { Price = i.PriceId, Quantity = i.Quantity }).ToList(),
                        Metadata = new Dictionary<string, string> { ["organization_id"] = organizationId.ToString("D"), ["plan"] = request.PlanKey },
                    },
                    new RequestOptions { IdempotencyKey = keyBase + ":create" },
                    cancellationToken),
                cancellationToken).ConfigureAwait(false);
            var subscribed = await ApplyAsync(organizationId, created, request.PlanKey, cancellationToken).ConfigureAwait(false);
            await RecordChangeAsync(organizationId, actor, "plan_changed", Data(("from", organization.PlanKey), ("to", request.PlanKey), ("interval", yearly ? "yearly" : "monthly"), ("subscription", created.Id))).ConfigureAwait(false);
            return subscribed;
        }

        var items = SubscriptionDiff.Items(subscription, target);
        if (items.Count == 0 && !subscription.CancelAtPeriodEnd)
        {
            // Already there: answer as the first call did, and repair our copy if it lagged behind Stripe.
            return organization.PlanKey == request.PlanKey ? organization : await ApplyAsync(organizationId, subscription, request.PlanKey, cancellationToken).ConfigureAwait(false);
        }

        var options = new SubscriptionUpdateOptions
        {
            Items = items.Count == 0 ? null : items,
            ProrationBehavior = items.Count == 0 ? null : proration,
            Metadata = new Dictionary<string, string> { ["plan"] = request.PlanKey, ["plan_after_period_end"] = "" },
        };
        if (subscription.CancelAtPeriodEnd)
        {
            // A paid plan chosen again after a move to a free one keeps the subscription going.
            options.CancelAtPeriodEnd = false;
        }

        var updated = await StripeErrors.GuardAsync(
            "change the subscription's items",
            () => _stripe.V1.Subscriptions.UpdateAsync(subscription.Id, options, new RequestOptions { IdempotencyKey = keyBase + ":update" }, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var changed = await ApplyAsync(organizationId, updated, request.PlanKey, cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(organizationId, actor, "plan_changed", Data(("from", organization.PlanKey), ("to", request.PlanKey), ("interval", yearly ? "yearly" : "monthly"), ("proration_behavior", proration))).ConfigureAwait(false);
        return changed;
    }

    /// <summary>Sets the quantity of the subscription's seat item (its licensed item), prorated.</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="quantity">The number of seats, 1 to 1,000,000.</param>
    /// <param name="actor">Who asks for the change, recorded with it.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The organization after the change.</returns>
    /// <exception cref="BillingException">400 naming <c>quantity</c>, 404, 409 when there is no subscription or no licensed item, 402/502 from Stripe.</exception>
    public async Task<Organization> ChangeSeatsAsync(Guid organizationId, long quantity, string actor, CancellationToken cancellationToken = default)
    {
        if (quantity is < 1 or > 1_000_000)
        {
            throw BillingException.Invalid("quantity", "'quantity' must be a whole number between 1 and 1000000.");
        }

        var organization = await RequireLinkedAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var subscription = await ReadLiveSubscriptionAsync(organization, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(409, "no_subscription", $"Organization {organizationId} has no active Stripe subscription.", "organization_id");
        var seats = SubscriptionDiff.SeatItem(subscription)
            ?? throw new BillingException(409, "no_seats", $"The subscription of organization {organizationId} has no licensed (per-seat) item.", "quantity");
        if (seats.Quantity == quantity)
        {
            return organization;
        }

        var updated = await StripeErrors.GuardAsync(
            "change the seat quantity",
            () => _stripe.V1.Subscriptions.UpdateAsync(
                subscription.Id,
                new SubscriptionUpdateOptions
                {
                    Items = [new SubscriptionItemOptions { Id = seats.Id, Quantity = quantity }],
                    ProrationBehavior = "create_prorations",
                },
                new RequestOptions { IdempotencyKey = string.Create(CultureInfo.InvariantCulture, $"seats:{organizationId:D}:{organization.Version}:{quantity}") },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var changed = await ApplyAsync(organizationId, updated, planKey: null, cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(organizationId, actor, "seats_changed", Data(("from", seats.Quantity.ToString(CultureInfo.InvariantCulture)), ("to", quantity.ToString(CultureInfo.InvariantCulture)))).ConfigureAwait(false);
        return changed;
    }

    /// <summary>
    /// Makes the subscription's seat quantity follow the plan's seat metric (<see cref="PlanSeats.Metric"/>, a <c>Last</c>
    /// metric): the seats become the metric's latest value in the current period (rounded up, at least 1), with the plan's
    /// <see cref="PlanSeats.ProrationBehavior"/>. Stripe is called only when that value differs from the quantity last seen
    /// on the subscription, so calling it again, or after a report that did not change the value, changes nothing. The
    /// reconciliation job calls it for every linked organization whose plan has such seats.
    /// </summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether the seat quantity was changed at Stripe.</returns>
    /// <exception cref="BillingException">404 when there is no such organization, 402/502 when Stripe refuses or fails.</exception>
    public async Task<bool> FollowSeatsAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        var organization = await _store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}.", "organization_id");
        if (!organization.IsLinked || organization.PlanKey is not { } planKey || !_options.CurrentValue.Plans.TryGetValue(planKey, out var plan)
            || plan.Seats is not { Metric: { } metric } seats)
        {
            return false;
        }

        var period = Metering.UsagePeriod.For(organization, _timeProvider.GetUtcNow());
        var totals = await _store.GetUsageTotalsAsync(organizationId, period.Start, cancellationToken).ConfigureAwait(false);
        if (totals.FirstOrDefault(t => string.Equals(t.Metric, metric, StringComparison.Ordinal)) is not { } total)
        {
            // Nothing reported in this period yet: the seats stay as they are.
            return false;
        }

        var wanted = (long)Math.Clamp(Math.Ceiling(total.Total), 1m, 1_000_000m);
        if (organization.LicensedQuantity == wanted)
        {
            return false;
        }

        var subscription = await ReadLiveSubscriptionAsync(organization, cancellationToken).ConfigureAwait(false);
        var item = subscription?.Items?.Data?.FirstOrDefault(i => i.Price?.Id is { } price && (price == seats.PriceId || price == seats.YearlyPriceId));
        if (subscription is null || item is null)
        {
            return false;
        }

        if (item.Quantity == wanted)
        {
            // Stripe has it already (an earlier run crashed before writing it down): only our copy is behind.
            await ApplyAsync(organizationId, subscription, planKey: null, cancellationToken).ConfigureAwait(false);
            return false;
        }

        var updated = await StripeErrors.GuardAsync(
            "change the seat quantity",
            () => _stripe.V1.Subscriptions.UpdateAsync(
                subscription.Id,
                new SubscriptionUpdateOptions
                {
                    Items = [new SubscriptionItemOptions { Id = item.Id, Quantity = wanted }],
                    ProrationBehavior = seats.ProrationBehavior,
                },
                new RequestOptions { IdempotencyKey = string.Create(CultureInfo.InvariantCulture, $"seats-follow:{organizationId:D}:{organization.Version}:{wanted}") },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
        await ApplyAsync(organizationId, updated, planKey: null, cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(
            organizationId,
            "reconciliation",
            "seats_changed",
            Data(("from", item.Quantity.ToString(CultureInfo.InvariantCulture)), ("to", wanted.ToString(CultureInfo.InvariantCulture)), ("metric", metric))).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// <see cref="FollowSeatsAsync"/> for every linked organization whose plan's seats follow a metric; one organization
    /// failing (Stripe refusing its change) does not stop the others.
    /// </summary>
    /// <param name="cancellationToken">Stops the pass between two organizations.</param>
    /// <returns>How many seat quantities were changed at Stripe.</returns>
    internal async Task<int> FollowAllSeatsAsync(CancellationToken cancellationToken)
    {
        var plans = _options.CurrentValue.Plans.Where(p => p.Value.Seats?.Metric is not null).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);
        var changed = 0;
        const int Batch = 200;
        for (var skip = 0; ; skip += Batch)
        {
            var page = await _store.ListOrganizationsAsync(new OrganizationQuery(Linked: true, Skip: skip, Take: Batch), cancellationToken).ConfigureAwait(false);
            foreach (var organization in page.Items.Where(o => o.IsLinked && o.PlanKey is { } key && plans.Contains(key)))
            {
                try
                {
                    changed += await FollowSeatsAsync(organization.Id, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                }
                catch (BillingException exception)
                {
                    LogSeatsNotFollowed(_logger, organization.Id, exception);
                }
            }

            if (page.Items.Count < Batch)
            {
                return changed;
            }
        }
    }

    /// <summary>Resumes a subscription set to cancel at the end of its period (it renews again).</summary>
    /// <param name="organizationId">The organization.</param>
    /// <param name="actor">Who asks for it, recorded with the change.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The organization after the change (unchanged when the subscription was not set to cancel).</returns>
    /// <exception cref="BillingException">404, 409 when there is no subscription that has not ended, 502 from Stripe.</exception>
    public async Task<Organization> ResumeAsync(Guid organizationId, string actor, CancellationToken cancellationToken = default)
    {
        var organization = await RequireLinkedAsync(organizationId, cancellationToken).ConfigureAwait(false);
        var subscription = await ReadLiveSubscriptionAsync(organization, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(409, "subscription_ended", $"The subscription of organization {organizationId} has ended; change the plan to start a new one.", "organization_id");
        if (!subscription.CancelAtPeriodEnd)
        {
            return organization.CancelAtPeriodEnd ? await ApplyAsync(organizationId, subscription, planKey: null, cancellationToken).ConfigureAwait(false) : organization;
        }

        var resumed = await StripeErrors.GuardAsync(
            "resume the subscription",
            () => _stripe.V1.Subscriptions.UpdateAsync(
                subscription.Id,
                new SubscriptionUpdateOptions { CancelAtPeriodEnd = false, Metadata = new Dictionary<string, string> { ["plan_after_period_end"] = "" } },
                new RequestOptions { IdempotencyKey = string.Create(CultureInfo.InvariantCulture, $"resume:{organizationId:D}:{organization.Version}") },
                cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var changed = await ApplyAsync(organizationId, resumed, planKey: null, cancellationToken).ConfigureAwait(false);
        await RecordChangeAsync(organizationId, actor, "subscription_resumed", Data(("subscription", resumed.Id))).ConfigureAwait(false);
        return changed;
    }

    /// <summary>
    /// The monthly recurring revenue of every linked organization, per plan and per currency, from what its subscription
    /// bills (see <see cref="RevenueSummary"/>; the same figures as <c>GET /api/admin/revenue</c>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The revenue.</returns>
    public Task<RevenueSummary> GetRevenueAsync(CancellationToken cancellationToken = default) =>
        Plans.Internal.RevenueCalculator.ComputeAsync(_store, _options.CurrentValue.Plans, cancellationToken);

    /// <summary>
    /// Reads every subscription of the Stripe account, a page at a time under
    /// <see cref="ReconciliationOptions.MaxRequestsPerSecond"/>, and repairs the organization linked to each where our
    /// store drifted from Stripe: status, plan (from the items), period, trial end and cancellation. The status goes
    /// through the same code as webhooks and sync. A webhook applied after the page was read wins over it.
    /// </summary>
    /// <param name="cancellationToken">Stops the run between two subscriptions.</param>
    /// <returns>What was read and repaired.</returns>
    /// <exception cref="BillingException">502 when Stripe fails (what was repaired before stays repaired).</exception>
    public async Task<ReconciliationResult> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var settings = _options.CurrentValue.Reconciliation;
        var spacing = TimeSpan.FromSeconds(1.0 / settings.MaxRequestsPerSecond);
        DateTimeOffset? lastCall = null;
        string? startingAfter = null;
        int read = 0, matched = 0, repaired = 0;
        while (true)
        {
            if (lastCall is { } last && last + spacing - _timeProvider.GetUtcNow() is { Ticks: > 0 } wait)
            {
                await Task.Delay(wait, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            lastCall = _timeProvider.GetUtcNow();
            var page = await StripeErrors.GuardAsync(
                "list the subscriptions",
                () => _stripe.V1.Subscriptions.ListAsync(
                    // The latest invoice dates a past-due subscription's failed payment (SubscriptionState.ObservedAt): the
                    // grace period counts from it, not from whenever this run happens to notice.
                    new SubscriptionListOptions { Status = "all", Limit = settings.PageSize, StartingAfter = startingAfter, Expand = ["data.latest_invoice"] },
                    cancellationToken: cancellationToken),
                cancellationToken).ConfigureAwait(false);
            foreach (var subscription in page.Data)
            {
                read++;
                switch (await RepairAsync(subscription, lastCall.Value, cancellationToken).ConfigureAwait(false))
                {
                    case true:
                        matched++;
                        repaired++;
                        break;
                    case false:
                        matched++;
                        break;
                }
            }

            if (!page.HasMore || page.Data.Count == 0)
            {
                return new ReconciliationResult(read, matched, repaired);
            }

            startingAfter = page.Data[^1].Id;
        }
    }

    /// <summary>Repairs the organization linked to one subscription: <see langword="null"/> when none is, else whether anything changed.</summary>
    private async Task<bool?> RepairAsync(Subscription subscription, DateTimeOffset readAt, CancellationToken cancellationToken)
    {
        var organization = await _store.FindOrganizationByStripeAsync(null, subscription.Id, cancellationToken).ConfigureAwait(false);
        if (organization is null)
        {
            return null;
        }

        var planKey = PlanOf(subscription);
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        var transition = default(StatusTransition);
        DateTimeOffset? pastDueSince = null;
        await _store.UpdateOrganizationAsync(organization.Id, org =>
        {
            changes.Clear();
            transition = default;
            // Stripe dates events in whole seconds: an event dated the read's own second may have happened after the read, so
            // it counts as newer. (Compared with the exact read time, a past_due webhook of that second was overwritten by
            // the stale "active" this read saw, and nothing came later to correct it.)
            var readSecond = new DateTimeOffset(readAt.UtcTicks - (readAt.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            if (org.StripeSubscriptionId != subscription.Id || (org.LastSubscriptionEventAt is { } applied && applied >= readSecond))
            {
                // Moved to another subscription, or a webhook as new as our read, or newer, arrived meanwhile.
                return false;
            }

            var before = Snapshot(org);
            transition = SubscriptionState.Apply(org, subscription, SubscriptionState.ObservedAt(subscription, _timeProvider.GetUtcNow()));
            pastDueSince = org.PastDueSince;
            org.PlanKey = planKey ?? org.PlanKey;
            var after = Snapshot(org);
            foreach (var (key, value) in before)
            {
                if (value != after[key])
                {
                    changes[key] = $"{value ?? "none"} -> {after[key] ?? "none"}";
                }
            }

            return changes.Count > 0;
        }, cancellationToken).ConfigureAwait(false);

        if (changes.Count == 0)
        {
            return false;
        }

        await RecordChangeAsync(organization.Id, "reconciliation", "subscription_reconciled", changes).ConfigureAwait(false);
        // The same state events as the webhook and sync paths, so a host's handlers stop and resume services on this path too.
        var stateEvent = transition.Changed ? transition.After switch
        {
            OrganizationStatus.PastDue => BillingEventTypes.PastDue,
            OrganizationStatus.Canceled => BillingEventTypes.Canceled,
            OrganizationStatus.Active or OrganizationStatus.Trial when transition.LeftPastDue || transition.Before == OrganizationStatus.Unpaid => BillingEventTypes.Resumed,
            _ => null,
        } : null;
        if (stateEvent is not null)
        {
            await RecordChangeAsync(organization.Id, "reconciliation", stateEvent, Data(("from", transition.Before), ("to", transition.After), ("past_due_since", pastDueSince?.ToString("O", System.Globalization.CultureInfo.InvariantCulture)))).ConfigureAwait(false);
        }

        return true;
    }

    private static Dictionary<string, string?> Snapshot(Organization org) => new(StringComparer.Ordinal)
    {
        ["status"] = org.StripeSubscriptionStatus,
        ["plan"] = org.PlanKey,
        ["current_period_start"] = org.CurrentPeriodStart?.ToString("O", CultureInfo.InvariantCulture),
        ["current_period_end"] = org.CurrentPeriodEnd?.ToString("O", CultureInfo.InvariantCulture),
        ["trial_end"] = org.TrialEnd?.ToString("O", CultureInfo.InvariantCulture),
        ["cancel_at_period_end"] = org.CancelAtPeriodEnd ? "true" : "false",
    };

    /// <summary>
    /// The plan a subscription is on, read from its items: the plan whose items (monthly or yearly) all are in the
    /// subscription, the one with most items when several are. For an ended subscription after a move to a free plan,
    /// that free plan.
    /// </summary>
    private string? PlanOf(Subscription subscription)
    {
        if (subscription.Status is "canceled" or "incomplete_expired"
            && subscription.Metadata?.TryGetValue("plan_after_period_end", out var next) == true && _options.CurrentValue.Plans.ContainsKey(next))
        {
            return next;
        }

        var prices = (subscription.Items?.Data ?? []).Select(i => i.Price?.Id).OfType<string>().ToHashSet(StringComparer.Ordinal);
        string? best = null;
        var bestCount = 0;
        foreach (var (key, plan) in _options.CurrentValue.Plans)
        {
            foreach (var yearly in new[] { false, true })
            {
                IReadOnlyList<PlanItem> items;
                try
                {
                    items = plan.SubscriptionItems(yearly);
                }
                catch (ArgumentException)
                {
                    continue;
                }

                if (items.Count > bestCount && items.All(i => prices.Contains(i.PriceId)))
                {
                    best = key;
                    bestCount = items.Count;
                }
            }
        }

        return best;
    }

    private (BillingPlan Plan, bool? Yearly, string Proration) Validate(PlanChangeRequest request)
    {
        var plans = _options.CurrentValue.Plans;
        if (string.IsNullOrEmpty(request.PlanKey) || !plans.TryGetValue(request.PlanKey, out var plan))
        {
            throw BillingException.Invalid("plan_type", $"'plan_type' must be one of: {string.Join(", ", plans.Keys)}.");
        }

        bool? yearly = request.BillingInterval switch
        {
            null => null,
            "monthly" => false,
            "yearly" => true,
            _ => throw BillingException.Invalid("billing_interval", "'billing_interval' must be 'monthly' or 'yearly'."),
        };

        var proration = request.ProrationBehavior ?? "create_prorations";
        if (!ProrationBehaviors.Contains(proration))
        {
            throw BillingException.Invalid("proration_behavior", "'proration_behavior' must be 'create_prorations', 'none' or 'always_invoice'.");
        }

        if (yearly == true && !HasYearly(plan))
        {
            throw BillingException.Invalid("billing_interval", $"The plan '{request.PlanKey}' has no yearly price.");
        }

        return (plan, yearly, proration);
    }

    private static bool HasYearly(BillingPlan plan)
    {
        if (plan.SubscriptionItems(yearly: false).Count == 0)
        {
            return true; // a free plan is free whatever the interval
        }

        try
        {
            return plan.SubscriptionItems(yearly: true).Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private async Task<Organization> RequireLinkedAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var organization = await _store.GetOrganizationAsync(organizationId, cancellationToken).ConfigureAwait(false)
            ?? throw new BillingException(404, "organization_not_found", $"No organization {organizationId}.", "organization_id");
        return organization.StripeCustomerId is not null
            ? organization
            : throw new BillingException(409, "not_linked", $"Organization {organizationId} is not linked to Stripe.", "organization_id");
    }

    /// <summary>The organization's subscription as Stripe has it now, or <see langword="null"/> when there is none or it has ended.</summary>
    private async Task<Subscription?> ReadLiveSubscriptionAsync(Organization organization, CancellationToken cancellationToken)
    {
        if (organization.StripeSubscriptionId is not { } subscriptionId)
        {
            return null;
        }

        var subscription = await StripeErrors.GuardAsync(
            "read the subscription",
            () => _stripe.V1.Subscriptions.GetAsync(subscriptionId, cancellationToken: cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return subscription.Status is "canceled" or "incomplete_expired" ? null : subscription;
    }

    private async Task<Organization> ApplyAsync(Guid organizationId, Subscription subscription, string? planKey, CancellationToken cancellationToken) =>
        await _store.UpdateOrganizationAsync(organizationId, org =>
        {
            org.StripeSubscriptionId = subscription.Id;
            if (planKey is not null)
            {
                org.PlanKey = planKey;
            }

            SubscriptionState.Apply(org, subscription, SubscriptionState.ObservedAt(subscription, _timeProvider.GetUtcNow()));
            return true;
        }, cancellationToken).ConfigureAwait(false)
        ?? throw new BillingException(404, "organization_not_found", $"Organization {organizationId} no longer exists.", "organization_id");

    private static IReadOnlyDictionary<string, string?> Data(params (string Key, string? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>
    /// Records a change with who did it. For now it is logged; the billing event log takes it over when it exists, so
    /// every change of this service goes through here and nowhere else.
    /// </summary>
    /// <summary>Logs the change and appends it to the billing event log, with who made it (an admin's name, or the system).</summary>
    private async Task RecordChangeAsync(Guid organizationId, string actor, string type, IReadOnlyDictionary<string, string?> data)
    {
        var who = actor == "reconciliation" ? BillingActors.System
            : actor == BillingActors.Instance ? BillingActors.Instance // the organization's own self-service call
            : BillingActors.Admin(actor == "admin" ? null : actor);
        LogChange(_logger, type, organizationId, who, string.Join(", ", data.Select(d => $"{d.Key}={d.Value}")));
        var json = new JsonObject();
        foreach (var (key, value) in data)
        {
            json[key] = value;
        }

        // The change is committed at Stripe and in our store already: a failing log must not turn it into an error.
        try
        {
            await _events.RecordAsync(new BillingEventEntry(type, organizationId, who, json), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort by design, see above; the failure is logged.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            LogRecordFailed(_logger, type, organizationId, exception);
        }
    }

    [LoggerMessage(EventId = 1703, Level = LogLevel.Warning, Message = "The seat quantity of organization {OrganizationId} could not follow its metric")]
    private static partial void LogSeatsNotFollowed(ILogger logger, Guid organizationId, Exception exception);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "Could not record the billing event {Type} of organization {OrganizationId}")]
    private static partial void LogRecordFailed(ILogger logger, string type, Guid organizationId, Exception exception);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Subscription change {Type} of organization {OrganizationId} by {Actor}: {Data}")]
    private static partial void LogChange(ILogger logger, string type, Guid organizationId, string actor, string data);
}
