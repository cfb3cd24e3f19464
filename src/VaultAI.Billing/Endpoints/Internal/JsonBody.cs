using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace VaultAI.Billing.Endpoints.Internal;

/// <summary>
/// Reads a bounded JSON body and its fields with errors that name the field. Written by hand rather than
/// model-bound so that every bad input gets a precise problem, and nothing is guessed.
/// </summary>
internal sealed class JsonBody : IDisposable
{
    private const int MaxTextLength = 200;
    private const int InitialBufferBytes = 4096;
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };
    private readonly JsonDocument _document;
    private byte[]? _buffer;

    private JsonBody(JsonDocument document, byte[] buffer)
    {
        _document = document;
        _buffer = buffer;
    }

    public JsonElement Root => _document.RootElement;

    public static async Task<JsonBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes);
        }

        if (!IsJsonContentType(request.ContentType))
        {
            throw new BillingException(415, "unsupported_media_type", "Send the body as 'Content-Type: application/json' (charset, if given, utf-8).", "Content-Type");
        }

        // The body goes into a pooled array, which the parsed document reads in place and Dispose returns: a report allocates
        // no buffer of its own (a fresh 8 KiB chunk and a growing stream per request were most of a warm report's garbage).
        // One byte more than declared, so a body of exactly the declared length ends without growing the array.
        var initial = request.ContentLength is { } declared ? declared + 1 : InitialBufferBytes;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(initial, Math.Min(maxBytes + 1L, InitialBufferBytes * 16)));
        var length = 0;
        JsonDocument? document = null;
        try
        {
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    length += read;
                    if (length > maxBytes)
                    {
                        throw TooLarge(maxBytes);
                    }

                    if (length == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }
                }
            }
            catch (BadHttpRequestException exception)
            {
                // The server refused the body itself (bad chunked framing, over its own size limit, too slow).
                throw exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? TooLarge(maxBytes)
                    : new BillingException(400, "malformed_body", "The request body could not be read.", "body", exception);
            }

            if (length == 0)
            {
                throw BillingException.Invalid("body", "The request body is empty; send a JSON object.", "malformed_json");
            }

            try
            {
                document = JsonDocument.Parse(buffer.AsMemory(0, length), ParseOptions);
            }
            catch (InvalidOperationException)
            {
                // Checking for duplicate names unescapes every property name; one holding a lone surrogate cannot be unescaped.
                throw BillingException.Invalid("body", "A property name contains an escape that is not a character (a lone UTF-16 surrogate such as \\ud800).", "invalid_string");
            }
            catch (JsonException exception)
            {
                // Duplicate property names are refused here too: which of two values counts must never be a guess.
                throw BillingException.Invalid("body", $"The request body is not valid JSON, or repeats a property (line {exception.LineNumber + 1}, byte {exception.BytePositionInLine}).", "malformed_json");
            }

            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw BillingException.Invalid("body", "The request body must be a JSON object.", "malformed_json");
            }

            var body = new JsonBody(document, buffer);
            document = null;
            buffer = null;
            return body;
        }
        finally
        {
            // Reached with values only when no JsonBody took them: an error on the way.
            document?.Dispose();
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public Guid RequiredGuid(string name)
    {
        var text = RequiredString(name, maxLength: 64);
        return ParseId(text, name);
    }

    /// <summary>A UUID other than the nil UUID, which names nothing and would collide across every careless caller.</summary>
    public static Guid ParseId(string? text, string field) =>
        Guid.TryParse(text, out var value) && value != Guid.Empty
            ? value
            : throw BillingException.Invalid(field, $"'{field}' must be a UUID other than the nil UUID, such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301.");

    /// <summary>
    /// <c>application/json</c> or <c>application/*+json</c>, with no charset or utf-8 (RFC 8259 allows no other).
    /// A missing content type is refused too: a caller who does not say what it sends is not sending JSON on purpose.
    /// </summary>
    public static bool IsJsonContentType(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || !parsed.MediaType.HasValue)
        {
            return false;
        }

        var mediaType = parsed.MediaType.Value!;

        var isJson = mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase) && mediaType.Length > "application/+json".Length);
        var charset = parsed.Charset.HasValue ? HeaderUtilities.RemoveQuotes(parsed.Charset).ToString() : null;
        return isJson && (charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }

    public string RequiredString(string name, int maxLength = MaxTextLength) =>
        OptionalString(name, maxLength) is { Length: > 0 } value
            ? value
            : throw BillingException.Invalid(name, $"'{name}' is required.", "missing_field");

    public string? OptionalString(string name, int maxLength = MaxTextLength)
    {
        if (!Root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            throw BillingException.Invalid(name, $"'{name}' must be a string.", "wrong_type");
        }

        var value = ReadString(element, name).Trim();
        if (value.Length > maxLength)
        {
            throw BillingException.Invalid(name, $"'{name}' must be at most {maxLength} characters.", "too_long");
        }

        if (HasControlCharacter(value))
        {
            throw BillingException.Invalid(name, $"'{name}' must not contain control characters.");
        }

        return value.Length == 0 ? null : value;
    }

    /// <summary>An optional e-mail address (<see cref="EmailAddresses"/>); <see langword="null"/> when absent.</summary>
    public string? OptionalEmail(string name)
    {
        var value = OptionalString(name);
        return value is null || EmailAddresses.IsValid(value)
            ? value
            : throw BillingException.Invalid(name, $"'{name}' must be an e-mail address such as ann@example.com, without a display name.", "invalid_email");
    }

    /// <summary>A required e-mail address (<see cref="EmailAddresses"/>).</summary>
    public string RequiredEmail(string name) =>
        OptionalEmail(name) ?? throw BillingException.Invalid(name, $"'{name}' is required.", "missing_field");

    public long RequiredInteger(string name, long min, long max)
    {
        if (!Root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            throw BillingException.Invalid(name, $"'{name}' is required.", "missing_field");
        }

        if (element.ValueKind != JsonValueKind.Number)
        {
            throw BillingException.Invalid(name, $"'{name}' must be a whole number.", "wrong_type");
        }

        if (!element.TryGetInt64(out var value))
        {
            // Either a fraction or a number beyond 64 bits: say which.
            var isWhole = decimal.TryParse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var asDecimal) && decimal.Truncate(asDecimal) == asDecimal;
            throw isWhole
                ? BillingException.Invalid(name, $"'{name}' must be between {min} and {max.ToString("N0", CultureInfo.InvariantCulture)}.", "out_of_range")
                : BillingException.Invalid(name, $"'{name}' must be a whole number.", "wrong_type");
        }

        return value < min || value > max
            ? throw BillingException.Invalid(name, $"'{name}' must be between {min} and {max.ToString("N0", CultureInfo.InvariantCulture)}.", "out_of_range")
            : value;
    }

    public int? OptionalInteger(string name, int min, int max)
    {
        if (!Root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return (int)RequiredInteger(name, min, max);
    }

    public DateTimeOffset RequiredTimestamp(string name)
    {
        var text = RequiredString(name, maxLength: 64);
        // An offset (Z or +hh:mm) is required: a bare local time would be read differently on every host.
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            || !(text.EndsWith('Z') || text.EndsWith('z') || HasOffset(text)))
        {
            throw BillingException.Invalid(name, $"'{name}' must be an ISO 8601 date and time with an offset, such as 2026-11-03T03:00:00Z.", "invalid_timestamp");
        }

        return value.ToUniversalTime();
    }

    /// <summary>Releases the document, then the pooled array it reads from.</summary>
    public void Dispose()
    {
        _document.Dispose();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    /// <summary>
    /// The string's value. JSON allows escapes such as <c>"\ud800"</c> that name half of a UTF-16 pair; no text can hold
    /// them, and <see cref="JsonElement.GetString"/> throws <see cref="InvalidOperationException"/> for them. That is the
    /// caller's error, so it becomes a 400 naming the field.
    /// </summary>
    internal static string ReadString(JsonElement element, string name)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw BillingException.Invalid(name, $"'{name}' contains an escape that is not a character (a lone UTF-16 surrogate such as \\ud800).", "invalid_string");
        }
    }

    // A plain loop: the LINQ form allocated an enumerator for every string field of every request.
    private static bool HasControlCharacter(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasOffset(string text)
    {
        var t = text.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        return t > 0 && (text.IndexOf('+', t) > 0 || text.IndexOf('-', t) > 0);
    }

    private static BillingException TooLarge(int maxBytes) =>
        new(413, "body_too_large", $"The request body must be at most {maxBytes} bytes.", "body");
}
