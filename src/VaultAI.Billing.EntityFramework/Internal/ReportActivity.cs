using System.Collections.Concurrent;

namespace VaultAI.Billing.EntityFramework.Internal;

/// <summary>
/// Coalesces the writes of an organization's last-seen fields (last report time and count, reported name and URL) on this
/// host. Every report would otherwise update the organization row, and row updates of one organization queue behind each
/// other until each commits. Here at most one writer per organization owns the row at a time: it writes its own values in
/// its report's statement, then what the reports that arrived meanwhile left behind (only the newest survives), then lets go.
/// </summary>
internal sealed class ReportActivity
{
    private readonly ConcurrentDictionary<Guid, Slot> _owners = new();

    /// <summary>Becomes the organization's owner when nobody on this host is; the owner must drain with <see cref="TakeOrRelease"/>.</summary>
    public bool TryAcquire(Guid organizationId) => _owners.TryAdd(organizationId, new Slot());

    /// <summary>
    /// Leaves <paramref name="seen"/> for the current owner; or, when there is none, makes the caller the owner with
    /// <paramref name="seen"/> pending (it must then drain with <see cref="TakeOrRelease"/>).
    /// </summary>
    /// <returns><see langword="true"/> when the caller became the owner.</returns>
    public bool Deposit(Guid organizationId, LastSeen seen)
    {
        while (true)
        {
            if (_owners.TryGetValue(organizationId, out var slot))
            {
                lock (slot)
                {
                    if (!slot.Released)
                    {
                        slot.Pending = LastSeen.Newest(slot.Pending, seen);
                        return false;
                    }
                }

                // The owner is leaving; wait for its slot to go and try again.
                Thread.Yield();
            }
            else if (_owners.TryAdd(organizationId, new Slot { Pending = seen }))
            {
                return true;
            }
        }
    }

    /// <summary>For the owner: what is waiting to be written, or <see langword="null"/> after giving up ownership.</summary>
    public LastSeen? TakeOrRelease(Guid organizationId)
    {
        if (!_owners.TryGetValue(organizationId, out var slot))
        {
            return null;
        }

        lock (slot)
        {
            if (slot.Pending is { } pending)
            {
                slot.Pending = null;
                return pending;
            }

            slot.Released = true;
        }

        _owners.TryRemove(new KeyValuePair<Guid, Slot>(organizationId, slot));
        return null;
    }

    private sealed class Slot
    {
        public LastSeen? Pending { get; set; }

        public bool Released { get; set; }
    }
}

/// <summary>What a report says about its organization.</summary>
/// <param name="ReceivedAt">When the report was received; the newest wins.</param>
/// <param name="Quantity">The reported count.</param>
/// <param name="Name">The reported name, if any.</param>
/// <param name="InstanceUrl">The reported instance URL, if any.</param>
/// <param name="OccurredAt">When the reported count was true; the count of the latest wins (the received time when unknown).</param>
internal sealed record LastSeen(DateTimeOffset ReceivedAt, long Quantity, string? Name, string? InstanceUrl, DateTimeOffset? OccurredAt = null)
{
    /// <summary>The newer of two, keeping a name or URL that only the older one carried.</summary>
    public static LastSeen Newest(LastSeen? current, LastSeen next)
    {
        if (current is null)
        {
            return next;
        }

        var (newer, older) = next.ReceivedAt >= current.ReceivedAt ? (next, current) : (current, next);
        var counted = (next.OccurredAt ?? next.ReceivedAt) >= (current.OccurredAt ?? current.ReceivedAt) ? next : current;
        return newer with
        {
            Name = newer.Name ?? older.Name,
            InstanceUrl = newer.InstanceUrl ?? older.InstanceUrl,
            Quantity = counted.Quantity,
            OccurredAt = counted.OccurredAt ?? counted.ReceivedAt,
        };
    }
}
