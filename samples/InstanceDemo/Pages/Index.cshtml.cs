using InstanceDemo.Demo;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using VaultAI.Billing.Client;

namespace InstanceDemo.Pages;

/// <summary>The instance's home: its users and the "Use AI" button that records AI token usage.</summary>
public sealed class IndexModel(DemoUsers users, IUsageRecorderClient usage) : PageModel
{
    /// <summary>Gets the instance's users.</summary>
    public DemoUsers Users => users;

    /// <summary>Gets what the last action did.</summary>
    [FromQuery(Name = "message")]
    public string? Message { get; set; }

    /// <summary>Spends AI tokens: the usage goes to the durable spool first, then is sent at once.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A redirect to the home page with a message.</returns>
    public async Task<IActionResult> OnPostUseAiAsync(CancellationToken cancellationToken)
    {
        await usage.RecordUsageAsync(DemoApp.AiMetric, DemoApp.TokensPerAiRequest, cancellationToken: cancellationToken);

        // Sent now so the Billing page shows it; had the host been unreachable, the spool would keep it for later.
        var flush = await usage.FlushUsageAsync(cancellationToken);
        var message = flush.Pending == 0
            ? $"The assistant answered and {DemoApp.TokensPerAiRequest:N0} AI tokens were recorded."
            : $"The assistant answered; {DemoApp.TokensPerAiRequest:N0} AI tokens wait in the spool until the billing host can be reached.";
        return RedirectToPage("/Index", new { message });
    }
}
