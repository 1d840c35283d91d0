using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>Thrown when a value cannot be represented in canonical JSON (floats, out-of-range integers).</summary>
public sealed class CanonicalJsonException : Exception
{
    public CanonicalJsonException(string message) : base(message) { }
}

/// <summary>spec: appendices "Canonical JSON" (room versions 6+ rules: integers only, in the safe range).</summary>
public static class CanonicalJson
{
    /// <summary>Largest integer canonical JSON allows: 2^53 - 1.</summary>
    public const long MaxSafeInteger = 9007199254740991;

    /// <summary>Smallest integer canonical JSON allows: -(2^53) + 1.</summary>
    public const long MinSafeInteger = -9007199254740991;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, node);
        return buffer.WrittenSpan.ToArray();
    }

    public static string ToCanonicalString(JsonNode? node) => Encoding.UTF8.GetString(Serialize(node));

    private static void Write(ArrayBufferWriter<byte> w, JsonNode? node)
    {
        switch (node)
        {
            case null:
                WriteAscii(w, "null");
                break;
            case JsonObject obj:
                WriteObject(w, obj);
                break;
            case JsonArray arr:
                WriteByte(w, (byte)'[');
                for (int i = 0; i < arr.Count; i++)
                {
                    if (i > 0)
                    {
                        WriteByte(w, (byte)',');
                    }

                    Write(w, arr[i]);
                }

                WriteByte(w, (byte)']');
                break;
            case JsonValue value:
                WriteValue(w, value);
                break;
            default:
                throw new CanonicalJsonException($"Unsupported JSON node {node.GetType().Name}.");
        }
    }

    private static void WriteObject(ArrayBufferWriter<byte> w, JsonObject obj)
    {
        // Ordinal comparison of UTF-16 differs from codepoint order only for surrogate pairs vs
        // U+E000..U+FFFF, so compare by code point explicitly.
        var keys = new List<string>(obj.Count);
        foreach (var kv in obj)
        {
            keys.Add(kv.Key);
        }

        keys.Sort(CompareByCodePoint);
        WriteByte(w, (byte)'{');
        for (int i = 0; i < keys.Count; i++)
        {
            if (i > 0)
            {
                WriteByte(w, (byte)',');
            }

            WriteString(w, keys[i]);
            WriteByte(w, (byte)':');
            Write(w, obj[keys[i]]);
        }

        WriteByte(w, (byte)'}');
    }

    /// <summary>Orders strings by Unicode code point, as canonical JSON requires for keys.</summary>
    public static int CompareByCodePoint(string? a, string? b)
    {
        if (ReferenceEquals(a, b))
        {
            return 0;
        }

        if (a is null)
        {
            return -1;
        }

        if (b is null)
        {
            return 1;
        }

        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            int x = CodePointOrder(a[i]), y = CodePointOrder(b[i]);
            if (x != y)
            {
                return x < y ? -1 : 1;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    // UTF-16 order differs from code point order only because surrogates (D800-DFFF, encoding code
    // points above FFFF) sort below E000-FFFF; shifting them above restores code point order.
    private static int CodePointOrder(char c) => c switch
    {
        >= '\uD800' and <= '\uDFFF' => c + 0x2000,
        >= '\uE000' => c - 0x800,
        _ => c,
    };

    private static void WriteValue(ArrayBufferWriter<byte> w, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                // A CLR value that serialises as a string (Guid, DateTime, char...) is read via its JSON form.
                WriteString(w, value.TryGetValue(out string? s) ? s : JsonNode.Parse(value.ToJsonString())!.GetValue<string>());
                return;
            case JsonValueKind.True:
                WriteAscii(w, "true");
                return;
            case JsonValueKind.False:
                WriteAscii(w, "false");
                return;
            case JsonValueKind.Null:
                WriteAscii(w, "null");
                return;
            case JsonValueKind.Number:
                WriteAscii(w, IntegerOf(value).ToString(CultureInfo.InvariantCulture));
                return;
            default:
                throw new CanonicalJsonException($"Unsupported JSON value kind {value.GetValueKind()}.");
        }
    }

    private static long IntegerOf(JsonValue value)
    {
        long result;
        if (value.TryGetValue(out JsonElement element))
        {
            // The spec's own example turns 1e10 into 10000000000, so integral values written with an
            // exponent are accepted; anything written with a decimal point is a float and is refused.
            if (!element.TryGetInt64(out result))
            {
                if (element.GetRawText().Contains('.') || !element.TryGetDecimal(out decimal d) || decimal.Truncate(d) != d || d < MinSafeInteger || d > MaxSafeInteger)
                {
                    throw new CanonicalJsonException($"Number {element.GetRawText()} is not an integer in range.");
                }

                result = (long)d;
            }
        }
        else if (value.TryGetValue(out long l)) { result = l; }
        else if (value.TryGetValue(out int i)) { result = i; }
        else if (value.TryGetValue(out short s)) { result = s; }
        else if (value.TryGetValue(out sbyte sb)) { result = sb; }
        else if (value.TryGetValue(out byte by)) { result = by; }
        else if (value.TryGetValue(out ushort us)) { result = us; }
        else if (value.TryGetValue(out uint ui)) { result = ui; }
        else if (value.TryGetValue(out ulong ul) && ul <= MaxSafeInteger) { result = (long)ul; }
        else
        {
            throw new CanonicalJsonException($"Number {value.ToJsonString()} is not an integer in range.");
        }

        if (result is < MinSafeInteger or > MaxSafeInteger)
        {
            throw new CanonicalJsonException($"Integer {result} is outside [-(2^53)+1, (2^53)-1].");
        }

        return result;
    }

    private static void WriteString(ArrayBufferWriter<byte> w, string s)
    {
        WriteByte(w, (byte)'"');
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\t': sb.Append("\\t"); break;
                case '\n': sb.Append("\\n"); break;
                case '\f': sb.Append("\\f"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(sb.ToString());
        }
        catch (EncoderFallbackException)
        {
            // A lone surrogate has no UTF-8 form; silently substituting U+FFFD would sign other data.
            throw new CanonicalJsonException("String contains an unpaired surrogate.");
        }

        w.Write(bytes);
        WriteByte(w, (byte)'"');
    }

    private static void WriteAscii(ArrayBufferWriter<byte> w, string s) => w.Write(Encoding.ASCII.GetBytes(s));

    private static void WriteByte(ArrayBufferWriter<byte> w, byte b)
    {
        w.GetSpan(1)[0] = b;
        w.Advance(1);
    }
}
