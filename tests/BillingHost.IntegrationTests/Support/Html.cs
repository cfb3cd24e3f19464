using System.Net;
using System.Text.RegularExpressions;

namespace BillingHost.IntegrationTests.Support;

/// <summary>What a browser does with the dashboard's forms: read the antiforgery token, post the fields.</summary>
internal static partial class Html
{
    public static string AntiforgeryToken(string html) =>
        TokenPattern().Match(html) is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups[1].Value)
            : throw new Xunit.Sdk.XunitException("No antiforgery token in the page:\n" + html);

    /// <summary>GETs <paramref name="pagePath"/>, then POSTs the fields with its antiforgery token to <paramref name="action"/>.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient client, string pagePath, string action, IDictionary<string, string>? fields = null)
    {
        var page = await client.GetStringAsync(pagePath);
        var form = new Dictionary<string, string>(fields ?? new Dictionary<string, string>()) { ["__RequestVerificationToken"] = AntiforgeryToken(page) };
        using var content = new FormUrlEncodedContent(form);
        return await client.PostAsync(action, content);
    }

    public static async Task<HttpClient> SignInAsync(HostFactory factory, string name = "admin", string? password = null)
    {
        var client = factory.CreateBrowserLikeClient();
        using var response = await SubmitAsync(client, "/login", "/login", new Dictionary<string, string> { ["Name"] = name, ["Password"] = password ?? factory.BannerPassword() });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public static string Text(string html) => WebUtility.HtmlDecode(TagPattern().Replace(html, " "));

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex TagPattern();
}
