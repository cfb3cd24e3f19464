using System.Net;
using System.Text;
using BillingHost.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BillingHost.IntegrationTests;

/// <summary>The log lines an operator reads: each says what happened and who asked, and a normal start warns about nothing.</summary>
public class StartupLogTests
{
    [Fact]
    public async Task Start_FreshDataFolderThenRestart_SaysCreatedThenCurrentAndNoWarning()
    {
        // One data folder for both starts (each factory deletes only the folder it made itself).
        var data = Directory.CreateTempSubdirectory("billinghost-restart-");
        var settings = new Dictionary<string, string?> { ["VaultAI:Host:DataPath"] = Path.Combine(data.FullName, "data") };
        List<FakeLogRecord> firstLogs, secondLogs;
        try
        {
            await using (var first = new HostFactory(settings) { ConfigureTestServices = CaptureLogs })
            {
                first.CreateClient().Dispose();
                firstLogs = [.. first.Services.GetFakeLogCollector().GetSnapshot()];
            }

            await using (var second = new HostFactory(settings) { ConfigureTestServices = CaptureLogs })
            {
                second.CreateClient().Dispose();
                secondLogs = [.. second.Services.GetFakeLogCollector().GetSnapshot()];
            }
        }
        finally
        {
            try
            {
                data.Delete(recursive: true);
            }
            catch (IOException)
            {
                // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS.
            }
        }

        Assert.Contains(firstLogs, r => r.Message == "Billing schema (SQLite): created");
        Assert.Contains(secondLogs, r => r.Message == "Billing schema (SQLite): current");
        Assert.DoesNotContain(firstLogs.Concat(secondLogs), r => r.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Webhook_BadSignature_WarningNamesTheSendersAddress()
    {
        await using var factory = new HostFactory(kestrel: true) { ConfigureTestServices = CaptureLogs };
        using var client = new HttpClient { BaseAddress = factory.ServerAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/stripe/webhook")
        {
            Content = new StringContent("""{"id":"evt_1","type":"invoice.paid"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", "t=1,v1=" + new string('0', 64));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var warning = Assert.Single(factory.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 1530);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("from 127.0.0.1", warning.Message, StringComparison.Ordinal);
        Assert.Contains("signature_", warning.Message, StringComparison.Ordinal);
    }

    private static void CaptureLogs(IServiceCollection services) => services.AddLogging(logging => logging.AddFakeLogging());
}
