using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>
/// Stripe test clocks (<c>/v1/test_helpers/test_clocks</c>). Each clock has its own frozen time, which is the time of
/// its customers: requests about them, and their billing, run in it (see <see cref="InClockTime{T}"/>). Advancing a
/// clock runs its customers' billing steps up to the new frozen time; the emulator's own clock does not move, and
/// <see cref="RunDueSteps(DateTimeOffset)"/> leaves these customers alone.
/// </summary>
internal sealed partial class Engine
{
    private static readonly ParameterSchema TestClockCreate = new("frozen_time", "name", "expand[]");
    private static readonly ParameterSchema TestClockAdvance = new("frozen_time", "expand[]");
    private static readonly TimeSpan TestClockLifetime = TimeSpan.FromDays(30);

    private string? _requestedAdvance;

    public Dictionary<string, TestClock> TestClocks { get; } = new(StringComparer.Ordinal);

    /// <summary>The test clock whose advance the last request accepted, if any (taken once).</summary>
    public string? TakeRequestedAdvance()
    {
        var id = _requestedAdvance;
        _requestedAdvance = null;
        return id;
    }

    private ApiResponse? HandleTestClocks(string method, string[] s, FormNode f)
    {
        switch (s)
        {
            case ["v1", "test_helpers", "test_clocks"] when method == "POST":
                return Ok(CreateTestClock(Checked(TestClockCreate, f)));
            case ["v1", "test_helpers", "test_clocks"] when method == "GET":
                Checked(ListBase, f);
                return Ok(RenderList(TestClocks.Values.Where(c => !c.Deleted).OrderByDescending(c => c.Sequence), c => c.Id, c => Render(c), f, "/v1/test_helpers/test_clocks", "test_helpers.test_clock"));
            case ["v1", "test_helpers", "test_clocks", var id] when method == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(FindTestClock(id)));
            case ["v1", "test_helpers", "test_clocks", var id] when method == "DELETE":
                return Ok(DeleteTestClock(id));
            case ["v1", "test_helpers", "test_clocks", var id, "advance"] when method == "POST":
                return Ok(AdvanceTestClock(id, Checked(TestClockAdvance, f)));
            default:
                return null;
        }
    }

    public TestClock FindTestClock(string id, string param = "id") =>
        TestClocks.GetValueOrDefault(id) is { Deleted: false } clock ? clock : throw StripeApiException.NotFound("test_helpers.test_clock", id, param);

    private JsonObject CreateTestClock(FormNode f)
    {
        var frozen = f.Long("frozen_time") ?? throw StripeApiException.Missing("frozen_time");
        var clock = new TestClock
        {
            Id = Ids.New("clock_", 24),
            Sequence = NextSequence(),
            Created = Now,
            Name = NullIfEmpty(f.Str("name")),
            FrozenTime = DateTimeOffset.FromUnixTimeSeconds(frozen),
        };
        TestClocks[clock.Id] = clock;
        Emit("test_helpers.test_clock.created", Render(clock), null, Now);
        return Render(clock);
    }

    private JsonObject DeleteTestClock(string id)
    {
        var clock = FindTestClock(id);

        // Kept, not removed: its customers stay at its last frozen time (Stripe deletes them).
        clock.Deleted = true;
        Emit("test_helpers.test_clock.deleted", Render(clock), null, Now);
        return new JsonObject { ["id"] = clock.Id, ["object"] = "test_helpers.test_clock", ["deleted"] = true };
    }

    private JsonObject AdvanceTestClock(string id, FormNode f)
    {
        var clock = FindTestClock(id);
        var target = DateTimeOffset.FromUnixTimeSeconds(f.Long("frozen_time") ?? throw StripeApiException.Missing("frozen_time"));
        if (clock.Status == "advancing")
        {
            throw new StripeApiException(400, "invalid_request_error", $"The test clock {clock.Id} is already advancing. Wait for it to be ready.", null, "test_clock_advancing")
            {
                BeforeExecution = true,
            };
        }

        if (target <= clock.FrozenTime)
        {
            throw StripeApiException.Invalid("Cannot advance a test clock to a time before or equal to its current frozen time.", "frozen_time");
        }

        clock.Status = "advancing";
        clock.TargetFrozenTime = target;
        Emit("test_helpers.test_clock.advancing", Render(clock), null, Now);
        _requestedAdvance = clock.Id;
        return Render(clock);
    }

    /// <summary>When the next billing step of the clock's customers falls during its advance, if any.</summary>
    public DateTimeOffset? NextTestClockStep(string id) =>
        TestClocks.TryGetValue(id, out var clock) && clock.TargetFrozenTime is { } target ? FindNextStep(target, id)?.At : null;

    /// <summary>Moves the clock's frozen time to <paramref name="at"/> and runs its customers' steps due by then.</summary>
    public void RunTestClockSteps(string id, DateTimeOffset at)
    {
        if (!TestClocks.TryGetValue(id, out var clock))
        {
            return;
        }

        if (at > clock.FrozenTime)
        {
            clock.FrozenTime = at;
        }

        InClockTime(id, () => RunDueSteps(at, id));
    }

    /// <summary>Marks an advance done: the clock shows its target time and is <c>ready</c> again.</summary>
    public void CompleteTestClockAdvance(string id)
    {
        if (!TestClocks.TryGetValue(id, out var clock) || clock.TargetFrozenTime is not { } target)
        {
            return;
        }

        clock.FrozenTime = target;
        clock.TargetFrozenTime = null;
        clock.Status = "ready";
        Emit("test_helpers.test_clock.ready", Render(clock), null, Now);
    }

    public JsonObject Render(TestClock c) => new()
    {
        ["id"] = c.Id,
        ["object"] = "test_helpers.test_clock",
        ["created"] = Unix(c.Created),
        ["deletes_after"] = Unix(c.Created + TestClockLifetime),
        ["frozen_time"] = Unix(c.FrozenTime),
        ["livemode"] = false,
        ["name"] = c.Name,
        ["status"] = c.Status,
        ["status_details"] = c.TargetFrozenTime is { } target
            ? new JsonObject { ["advancing"] = new JsonObject { ["target_frozen_time"] = Unix(target) } }
            : new JsonObject(),
    };
}
