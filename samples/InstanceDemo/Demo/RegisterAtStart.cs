using VaultAI.Billing.Client;

namespace InstanceDemo.Demo;

/// <summary>
/// Registers the instance with the billing host at start (a stored token makes this "already registered"), then
/// records today's active users, so the Billing page has usage to show without waiting for the daily report.
/// Retries until the billing host answers, so the two apps can start in any order.
/// </summary>
internal sealed partial class RegisterAtStart(
    IVaultAIBillingClient billing,
    IUsageRecorderClient usage,
    DemoUsers users,
    TimeProvider time,
    ILogger<RegisterAtStart> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var registration = await billing.RegisterAsync(stoppingToken);
                LogRegistered(logger, registration.OrganizationId, registration.OrganizationStatus ?? "unknown");
                break;
            }
            catch (BillingTokenLostException)
            {
                // The host knows this organization but the token file is gone: only the host's administrator can help.
                LogTokenLost(logger);
                return;
            }
            catch (VaultAIBillingException ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRegistrationFailed(logger, ex.Message);
                await Task.Delay(RetryDelay, time, stoppingToken);
            }
        }

        // One event per day: the id makes a restart the same day count once (active_users keeps the last value).
        var day = time.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await usage.RecordUsageAsync("active_users", users.ActiveCount, id: $"demo-active-users:{day}", cancellationToken: stoppingToken);
        await usage.FlushUsageAsync(stoppingToken);
    }

    [LoggerMessage(1, LogLevel.Information, "Registered with the billing host as organization {OrganizationId} ({Status})")]
    private static partial void LogRegistered(ILogger logger, Guid organizationId, string status);

    [LoggerMessage(3, LogLevel.Error, "The billing host already knows this organization and the stored token is missing: ask its administrator to reset the token, or delete the organization and the data folder")]
    private static partial void LogTokenLost(ILogger logger);

    [LoggerMessage(2, LogLevel.Warning, "Could not register with the billing host yet, retrying in 5 seconds: {Reason}")]
    private static partial void LogRegistrationFailed(ILogger logger, string reason);
}
