using System.Security.Cryptography;

namespace VaultAI.Billing.Testing.Api.Internal;

internal static class Ids
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    public static string New(string prefix, int length = 24) => prefix + RandomString(length);

    public static string RandomString(int length) => RandomNumberGenerator.GetString(Alphabet, length);

    public static string RandomHex(int bytes) => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
}
