using VaultAI.Billing.Client;

namespace InstanceDemo.Demo;

/// <summary>Counts the active users for the client's daily report, as a real instance would count its user table.</summary>
internal sealed class DemoActiveUserCounter(DemoUsers users) : IActiveUserCounter
{
    public ValueTask<long> CountActiveUsersAsync(CancellationToken cancellationToken) => ValueTask.FromResult((long)users.ActiveCount);
}
