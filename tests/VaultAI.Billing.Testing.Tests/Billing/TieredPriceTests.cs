using System.Net;
using VaultAI.Billing.Testing.Tests.Support;

namespace VaultAI.Billing.Testing.Tests.Billing;

/// <summary>Tiered prices: created and checked as Stripe does, billed per tier on the invoice.</summary>
public class TieredPriceTests
{
    private static readonly DateTimeOffset Start = new(2026, 7, 1, 0, 0, 0, TimeSpan.Zero);

    private static StripeEmulatorOptions Options() => new() { Clock = new FakeTimeProvider(Start) };

    private static async Task<string> TieredAsync(StripeHttp http, string meter, string mode, string tiers)
    {
        var product = await http.CreateAsync("/v1/products", "name=Minutes");
        return await http.CreateAsync(
            "/v1/prices",
            $"currency=usd&product={product}&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]={meter}&billing_scheme=tiered&tiers_mode={mode}&{tiers}");
    }

    private static async Task SendUsageAsync(StripeHttp http, string customer, string eventName, long value, DateTimeOffset at) =>
        await http.CreateAsyncOk("/v1/billing/meter_events", $"event_name={eventName}&payload[stripe_customer_id]={customer}&payload[value]={value}&identifier=u-{value}-{at.ToUnixTimeSeconds()}&timestamp={at.ToUnixTimeSeconds()}");

    [Fact]
    public async Task CreatePrice_TieredWithUnitAmount_Returns400NamingIt()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "minutes", "sum");
        var product = await http.CreateAsync("/v1/products", "name=Minutes");

        var response = await http.PostAsync("/v1/prices", $"currency=usd&product={product}&unit_amount=5&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]={meter}&billing_scheme=tiered&tiers_mode=graduated&tiers[0][up_to]=inf&tiers[0][unit_amount]=5");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("unit_amount", response.Error["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreatePrice_LastTierNotInf_Returns400NamingTheTier()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "minutes", "sum");
        var product = await http.CreateAsync("/v1/products", "name=Minutes");

        var response = await http.PostAsync("/v1/prices", $"currency=usd&product={product}&recurring[interval]=month&recurring[usage_type]=metered&recurring[meter]={meter}&billing_scheme=tiered&tiers_mode=graduated&tiers[0][up_to]=100&tiers[0][unit_amount]=0&tiers[1][up_to]=200&tiers[1][unit_amount]=5");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("tiers[1][up_to]", response.Error["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task Retrieve_TieredPrice_RendersSchemeModeAndTiers()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "minutes", "sum");
        var price = await TieredAsync(http, meter, "graduated", "tiers[0][up_to]=1000&tiers[0][unit_amount]=0&tiers[1][up_to]=inf&tiers[1][unit_amount_decimal]=0.5");

        var json = (await http.GetAsync($"/v1/prices/{price}")).Json;

        Assert.Equal("tiered", json["billing_scheme"]!.GetValue<string>());
        Assert.Equal("graduated", json["tiers_mode"]!.GetValue<string>());
        Assert.Equal(1000, json["tiers"]![0]!["up_to"]!.GetValue<long>());
        Assert.Null(json["tiers"]![1]!["up_to"]);
        Assert.Equal("0.5", json["tiers"]![1]!["unit_amount_decimal"]!.GetValue<string>());
    }

    [Fact]
    public async Task Renewal_GraduatedWithFlatFee_OneLinePerTierPlusTheFlatFee()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "minutes", "sum");
        var price = await TieredAsync(http, meter, "graduated", "tiers[0][up_to]=100&tiers[0][unit_amount]=0&tiers[1][up_to]=inf&tiers[1][unit_amount]=5&tiers[1][flat_amount]=200");
        var customer = await Catalog.CustomerAsync(http);
        await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}");
        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(1));
        await SendUsageAsync(http, customer, "minutes", 130, Start.AddDays(1));

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(31));

        var invoice = stripe.State.Invoices.Last();
        Assert.Equal([(100L, 0L), (30L, 150L), (1L, 200L)], invoice.Lines.Select(l => (l.Quantity, l.Amount)).ToArray());
        Assert.Equal(350, invoice.AmountDue);
    }

    [Fact]
    public async Task Renewal_Volume_EveryUnitAtTheTierOfTheTotal()
    {
        await using var stripe = await StripeEmulator.StartAsync(Options());
        using var http = new StripeHttp(stripe);
        var meter = await Catalog.MeterAsync(http, "minutes", "sum");
        var price = await TieredAsync(http, meter, "volume", "tiers[0][up_to]=100&tiers[0][unit_amount]=10&tiers[1][up_to]=inf&tiers[1][unit_amount]=4");
        var customer = await Catalog.CustomerAsync(http);
        await http.CreateAsync("/v1/subscriptions", $"customer={customer}&items[0][price]={price}");
        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(1));
        await SendUsageAsync(http, customer, "minutes", 150, Start.AddDays(1));

        await stripe.AdvanceTimeAsync(TimeSpan.FromDays(31));

        var line = Assert.Single(stripe.State.Invoices.Last().Lines);
        Assert.Equal((150L, 600L), (line.Quantity, line.Amount));
    }
}
