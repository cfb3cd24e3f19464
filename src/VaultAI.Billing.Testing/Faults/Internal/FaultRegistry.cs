using System.Text.RegularExpressions;

namespace VaultAI.Billing.Testing.Faults.Internal;

internal sealed class FaultRegistry
{
    private readonly object _gate = new();
    private readonly List<Entry> _entries = [];

    public void Add(string pathPattern, StripeFault fault, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathPattern);
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var regex = new Regex(
            "^" + Regex.Escape(pathPattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$",
            RegexOptions.CultureInvariant);
        lock (_gate)
        {
            _entries.Add(new Entry(regex, fault) { Remaining = count });
        }
    }

    /// <summary>Takes one use of the first registered fault matching the path.</summary>
    public StripeFault? TryTake(string path)
    {
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                if (entry.Remaining > 0 && entry.Pattern.IsMatch(path))
                {
                    entry.Remaining--;
                    if (entry.Remaining == 0)
                    {
                        _entries.Remove(entry);
                    }

                    return entry.Fault;
                }
            }

            return null;
        }
    }

    private sealed class Entry(Regex pattern, StripeFault fault)
    {
        public Regex Pattern { get; } = pattern;

        public StripeFault Fault { get; } = fault;

        public int Remaining { get; set; }
    }
}
