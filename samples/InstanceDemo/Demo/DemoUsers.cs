namespace InstanceDemo.Demo;

/// <summary>The instance's users: a fixed list standing in for the user table of a real instance.</summary>
public sealed class DemoUsers(TimeProvider time)
{
    /// <summary>A user counts as active when seen within this window.</summary>
    public static readonly TimeSpan ActiveWindow = TimeSpan.FromDays(30);

    private static readonly (string Name, int DaysSinceSeen)[] People =
    [
        ("Alice Martin", 0), ("Bruno Keller", 1), ("Chloé Dubois", 3), ("Dara Nguyen", 6),
        ("Emil Schmid", 12), ("Fatou Diallo", 45), ("Gustav Berg", 90),
    ];

    /// <summary>Gets every user with the time they were last seen.</summary>
    public IReadOnlyList<DemoUser> All
    {
        get
        {
            var now = time.GetUtcNow();
            return People.Select(p => new DemoUser(p.Name, now.AddDays(-p.DaysSinceSeen), p.DaysSinceSeen < ActiveWindow.TotalDays)).ToList();
        }
    }

    /// <summary>Gets how many users were active within <see cref="ActiveWindow"/>.</summary>
    public int ActiveCount => All.Count(u => u.Active);
}

/// <summary>One user of the instance.</summary>
/// <param name="Name">Display name.</param>
/// <param name="LastSeen">When the user was last seen.</param>
/// <param name="Active">Whether the user counts as active.</param>
public sealed record DemoUser(string Name, DateTimeOffset LastSeen, bool Active);
