namespace InstanceDemo.Demo;

/// <summary>Settings of the demo itself (section <c>InstanceDemo</c>).</summary>
public sealed class DemoOptions
{
    /// <summary>Gets the plan keys the Billing page offers in its Upgrade form (keys of the billing host's catalog).</summary>
    public IList<string> UpgradePlans { get; } = [];
}
