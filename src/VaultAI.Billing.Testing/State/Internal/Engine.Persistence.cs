using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>
/// The engine's state as one JSON document, for <see cref="StripeEmulatorOptions.StatePath"/>. Every public
/// <see cref="Dictionary{TKey, TValue}"/> or <see cref="List{T}"/> property of the engine is saved by name, so a
/// collection added later is saved without code here; the lookup indexes derived from other collections are
/// skipped and rebuilt on load.
/// </summary>
internal sealed partial class Engine
{
    /// <summary>The format of the saved document; a file with another version is ignored.</summary>
    public const int StateFormatVersion = 1;

    private static readonly HashSet<string> DerivedIndexes = new(StringComparer.Ordinal)
    {
        nameof(MeterEventsByIdentifier),
        nameof(MeterEventsByCustomer),
        nameof(MetersByEventName),
    };

    private static readonly JsonSerializerOptions StateJson = new()
    {
        // Value tuples (checkout line items) are fields.
        IncludeFields = true,
        PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { IncludePrivateSetters } },
    };

    private static IEnumerable<PropertyInfo> SavedCollections =>
        typeof(Engine).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType.IsGenericType
                && (p.PropertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>) || p.PropertyType.GetGenericTypeDefinition() == typeof(List<>))
                && !DerivedIndexes.Contains(p.Name));

    /// <summary>Writes the whole state; call under <see cref="Gate"/>.</summary>
    public string SaveState(DateTimeOffset realNow)
    {
        var collections = new JsonObject();
        foreach (var property in SavedCollections)
        {
            collections[property.Name] = JsonSerializer.SerializeToNode(property.GetValue(this), property.PropertyType, StateJson);
        }

        var document = new JsonObject
        {
            ["format"] = StateFormatVersion,
            ["api_version"] = ApiVersion,
            ["saved_at"] = realNow,
            ["clock"] = _clock.GetUtcNow(),
            ["sequence"] = _sequence,
            ["invoice_number"] = _invoiceNumber,
            ["collections"] = collections,
        };
        return document.ToJsonString();
    }

    /// <summary>
    /// Replaces the state with a saved one; call under <see cref="Gate"/> before serving. Nothing is changed when the
    /// document cannot be read (the exception says why).
    /// </summary>
    /// <returns>The emulator clock's time when the state was saved.</returns>
    /// <exception cref="InvalidDataException">The document is not a state of this format.</exception>
    public DateTimeOffset LoadState(string json)
    {
        JsonObject document;
        try
        {
            document = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException("the file is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException("the file is not valid JSON: " + ex.Message, ex);
        }

        var format = document["format"]?.GetValue<int>();
        if (format != StateFormatVersion)
        {
            throw new InvalidDataException($"the file has format {format?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}, this emulator reads format {StateFormatVersion}");
        }

        var collections = document["collections"] as JsonObject ?? throw new InvalidDataException("the file has no collections");

        // Read everything first, so a bad collection leaves the state untouched.
        var loaded = new List<(PropertyInfo Property, object Value)>();
        try
        {
            foreach (var property in SavedCollections)
            {
                if (collections[property.Name] is { } node
                    && node.Deserialize(property.PropertyType, StateJson) is { } value)
                {
                    loaded.Add((property, value));
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NotSupportedException or FormatException)
        {
            throw new InvalidDataException("a collection could not be read: " + ex.Message, ex);
        }

        foreach (var (property, value) in loaded)
        {
            switch (property.GetValue(this))
            {
                case IDictionary target:
                    target.Clear();
                    foreach (DictionaryEntry entry in (IDictionary)value)
                    {
                        target.Add(entry.Key, entry.Value);
                    }

                    break;
                case IList target:
                    target.Clear();
                    foreach (var item in (IList)value)
                    {
                        target.Add(item);
                    }

                    break;
            }
        }

        RebuildIndexes();
        _sequence = Math.Max(_sequence, document["sequence"]?.GetValue<long>() ?? 0);
        _invoiceNumber = Math.Max(_invoiceNumber, document["invoice_number"]?.GetValue<int>() ?? 0);
        return document["clock"]?.GetValue<DateTimeOffset>() ?? DateTimeOffset.MinValue;
    }

    private void RebuildIndexes()
    {
        MetersByEventName.Clear();
        foreach (var meter in Meters.Values)
        {
            MetersByEventName[meter.EventName] = meter;
        }

        MeterEventsByIdentifier.Clear();
        MeterEventsByCustomer.Clear();
        foreach (var record in MeterEvents)
        {
            MeterEventsByIdentifier[record.Identifier] = record;
            var key = (record.CustomerId!, record.EventName);
            if (!MeterEventsByCustomer.TryGetValue(key, out var ofCustomer))
            {
                ofCustomer = [];
                MeterEventsByCustomer.Add(key, ofCustomer);
            }

            ofCustomer.Add(record);
        }
    }

    /// <summary>
    /// Reads back properties with a private setter (a price's tiers) and leaves out computed ones (an invoice's total),
    /// which are worked out again from what is saved.
    /// </summary>
    private static void IncludePrivateSetters(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        foreach (var property in type.Properties.ToList())
        {
            if (property.Set is not null || property.AttributeProvider is not PropertyInfo info)
            {
                continue;
            }

            if (info.GetSetMethod(nonPublic: true) is { } setter)
            {
                property.Set = (target, value) => setter.Invoke(target, [value]);
            }
            else if (!IsPopulatable(info.PropertyType))
            {
                type.Properties.Remove(property);
            }
        }
    }

    private static bool IsPopulatable(Type type) =>
        !type.IsValueType && type != typeof(string) && (typeof(IDictionary).IsAssignableFrom(type) || typeof(IList).IsAssignableFrom(type));
}
