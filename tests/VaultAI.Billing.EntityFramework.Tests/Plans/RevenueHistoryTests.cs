using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VaultAI.Billing.Plans;
using VaultAI.Billing.Storage;
using VaultAI.Billing.EntityFramework.Tests.Subscriptions;

namespace VaultAI.Billing.EntityFramework.Tests.Plans;

/// <summary>The MRR history on PostgreSQL: one row per day and currency, the figures of the real linking, trial and cancel paths.</summary>
public sealed class RevenueHistoryTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task RecordAsync_AfterLinkTrialAndCancel_KeepsOneRowPerDayWithTheFiguresOfThatMoment()
    {
        await using var rig = await LifecycleRig.StartAsync(configure: o =>
        {
            o.Plans["basic"].MonthlyAmount = 2000;
            o.Plans["pro"].MonthlyAmount = 5000;
        });
        var clock = new FakeTimeProvider(Day1);
        var history = History(rig, clock);

        // Day 1: the rig's organization is linked on basic without a trial (3 seats at 20 EUR), and nobody trials.
        var first = Eur(await history.RecordAsync());
        Assert.Equal((new DateOnly(2026, 11, 30), 6000L, 0L, 1, 0), (first.Day, first.Mrr, first.PotentialMrr, first.PayingOrganizations, first.TrialingOrganizations));

        // Recording again the same day replaces the row, it adds none.
        clock.Advance(TimeSpan.FromHours(5));
        await history.RecordAsync();
        Assert.Equal(1, await RowsAsync(rig, new DateOnly(2026, 11, 30)));

        // Later that day a second organization starts a 14-day trial on pro: potential MRR, not MRR.
        var trialing = Guid.NewGuid();
        await InstanceCalls.RegisterAsync(rig.Host.Client, trialing);
        using (var link = await rig.Host.Admin.PostAsync(
            $"/api/admin/organizations/{trialing}/link",
            InstanceCalls.Json("""{"admin_email":"billing@trial.example","deployment_type":"on-premise","plan_type":"pro","trial_days":14}""")))
        {
            Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        }

        var sameDay = Eur(await history.RecordAsync());
        Assert.Equal((6000L, 15_000L, 1, 1), (sameDay.Mrr, sameDay.PotentialMrr, sameDay.PayingOrganizations, sameDay.TrialingOrganizations));
        Assert.Equal(1, await RowsAsync(rig, new DateOnly(2026, 11, 30)));

        // Day 2: the paying organization is canceled now; its MRR leaves the new day, and day 1 keeps its last figures.
        clock.Advance(TimeSpan.FromDays(1));
        using (var cancel = await rig.PostAsync("cancel"))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        var second = Eur(await history.RecordAsync());
        Assert.Equal((new DateOnly(2026, 12, 1), 0L, 15_000L, 0, 1), (second.Day, second.Mrr, second.PotentialMrr, second.PayingOrganizations, second.TrialingOrganizations));

        var days = (await history.GetAsync(new DateOnly(2026, 11, 1), new DateOnly(2026, 12, 31))).Where(s => s.Currency == "eur").ToList();
        Assert.Equal([(new DateOnly(2026, 11, 30), 6000L, 15_000L), (new DateOnly(2026, 12, 1), 0L, 15_000L)], days.Select(s => (s.Day, s.Mrr, s.PotentialMrr)));
        Assert.Equal(Day1.AddHours(5), days[0].RecordedAt);
    }

    [Fact]
    public async Task RevenueHistoryRoute_ReturnsTheRecordedDaysOfTheRange()
    {
        await using var rig = await LifecycleRig.StartAsync(configure: o => o.Plans["basic"].MonthlyAmount = 2000);
        var history = rig.Host.Services.GetRequiredService<RevenueHistory>();
        await history.RecordAsync();
        var today = history.Today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await rig.Host.Admin.GetAsync($"/api/admin/revenue/history?from={today}&to={today}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(today, json.RootElement.GetProperty("from").GetString());
        var eur = json.RootElement.GetProperty("snapshots").EnumerateArray().Single(s => s.GetProperty("currency").GetString() == "eur");
        Assert.Equal((today, 6000L, 1), (eur.GetProperty("day").GetString(), eur.GetProperty("mrr").GetInt64(), eur.GetProperty("paying_organizations").GetInt32()));

        // Without a range: the last 90 days, today included.
        using var fallback = JsonDocument.Parse(await rig.Host.Admin.GetStringAsync("/api/admin/revenue/history"));
        Assert.Equal(history.Today.AddDays(-89).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), fallback.RootElement.GetProperty("from").GetString());
        Assert.Contains(fallback.RootElement.GetProperty("snapshots").EnumerateArray(), s => s.GetProperty("day").GetString() == today);
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-02-30", "from")]
    [InlineData("to=2026-12-03T00:00:00Z", "to")]
    [InlineData("from=2026-12-01&from=2026-12-02", "from")]
    [InlineData("from=2026-12-03&to=2026-12-01", "from")]
    [InlineData("from=2020-01-01&to=2026-12-01", "from")]
    [InlineData("from=2026-12-01&to=%00", "to")]
    public async Task RevenueHistoryRoute_BadRange_Is400NamingTheFieldAndWritesNothing(string query, string field)
    {
        await using var rig = await LifecycleRig.StartAsync();
        var before = await AllRowsAsync(rig);

        using var response = await rig.Host.Admin.GetAsync("/api/admin/revenue/history?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
        Assert.Equal(before, await AllRowsAsync(rig));
    }

    [Fact]
    public async Task Store_UpsertTwiceAndAnotherDay_KeepsOneRowPerDayAndCurrencyAndListsTheRangeInOrder()
    {
        await using var rig = await LifecycleRig.StartAsync();
        var store = rig.Host.Services.GetRequiredService<IRevenueHistoryStore>();
        var day = new DateOnly(2025, 3, 1);
        var at = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

        await store.UpsertAsync([new MrrSnapshot(day, "eur", 100, 0, 1, 0, at), new MrrSnapshot(day, "usd", 300, 50, 2, 1, at)]);
        await store.UpsertAsync([new MrrSnapshot(day, "eur", 120, 10, 1, 1, at.AddHours(1))]);
        await store.UpsertAsync([new MrrSnapshot(day.AddDays(1), "eur", 140, 0, 2, 0, at.AddDays(1))]);

        var rows = await store.ListAsync(day, day.AddDays(1));
        Assert.Equal(
            [(day, "eur", 120L, 10L), (day, "usd", 300L, 50L), (day.AddDays(1), "eur", 140L, 0L)],
            rows.Select(r => (r.Day, r.Currency, r.Mrr, r.PotentialMrr)));
        Assert.Empty(await store.ListAsync(day.AddDays(2), day.AddDays(9)));
        await Assert.ThrowsAsync<ArgumentException>(() => store.UpsertAsync([new MrrSnapshot(day, "eur", 1, 0, 0, 0, at), new MrrSnapshot(day.AddDays(1), "eur", 1, 0, 0, 0, at)]));
    }

    private static RevenueHistory History(LifecycleRig rig, TimeProvider clock) => new(
        rig.Host.Services.GetRequiredService<IBillingStore>(),
        rig.Host.Services.GetRequiredService<IRevenueHistoryStore>(),
        rig.Host.Services.GetRequiredService<IOptionsMonitor<VaultAIBillingOptions>>(),
        clock);

    private static MrrSnapshot Eur(IReadOnlyList<MrrSnapshot> snapshots) => snapshots.Single(s => s.Currency == "eur");

    private static async Task<int> RowsAsync(LifecycleRig rig, DateOnly day)
    {
        await using var db = rig.Host.CreateDbContext();
        return await db.MrrSnapshots.CountAsync(s => s.Day == day);
    }

    private static async Task<List<(DateOnly, string, long, DateTimeOffset)>> AllRowsAsync(LifecycleRig rig)
    {
        await using var db = rig.Host.CreateDbContext();
        return [.. (await db.MrrSnapshots.AsNoTracking().ToListAsync()).Select(s => (s.Day, s.Currency, s.Mrr, s.RecordedAt)).OrderBy(r => r.Day).ThenBy(r => r.Currency)];
    }
}
