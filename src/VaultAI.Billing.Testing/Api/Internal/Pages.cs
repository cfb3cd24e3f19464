using System.Globalization;
using System.Net;
using System.Text;
using VaultAI.Billing.Testing.State.Internal;

namespace VaultAI.Billing.Testing.Api.Internal;

/// <summary>The minimal HTML pages behind checkout and portal session URLs.</summary>
internal sealed class Pages
{
    private readonly Engine _engine;

    public Pages(Engine engine)
    {
        _engine = engine;
    }

    public FrontResponse Handle(string method, string path)
    {
        var s = path.Trim('/').Split('/');
        string? redirect = null;
        string? html = null;
        var status = 200;
        lock (_engine.Gate)
        {
            switch (s)
            {
                case [""] when method == "GET":
                    html = Page("Stripe emulator", "<p>VaultAI Stripe emulator. The API is served under <code>/v1</code> and <code>/v2</code>.</p>");
                    break;
                case ["checkout", var id] when method == "GET":
                    if (!_engine.CheckoutSessions.TryGetValue(id, out var session))
                    {
                        (status, html) = (404, Page("Not found", "<p>No such checkout session.</p>"));
                        break;
                    }

                    html = CheckoutPage(session);
                    break;
                case ["checkout", var id, "complete"] when method == "POST":
                    if (!_engine.CheckoutSessions.TryGetValue(id, out var completing))
                    {
                        (status, html) = (404, Page("Not found", "<p>No such checkout session.</p>"));
                        break;
                    }

                    try
                    {
                        _engine.CompleteCheckout(id);
                    }
                    catch (InvalidOperationException ex)
                    {
                        (status, html) = (409, Page("Checkout", $"<p>{Encode(ex.Message)}</p>"));
                        break;
                    }

                    if (completing.SuccessUrl is { } success)
                    {
                        redirect = success.Replace("{CHECKOUT_SESSION_ID}", id, StringComparison.Ordinal);
                    }
                    else
                    {
                        html = Page("Checkout complete", $"<p>Subscription <code>{Encode(completing.SubscriptionId)}</code> created.</p>");
                    }

                    break;
                case ["portal", var id] when method == "GET":
                    if (!_engine.PortalSessions.TryGetValue(id, out var portal))
                    {
                        (status, html) = (404, Page("Not found", "<p>No such portal session.</p>"));
                        break;
                    }

                    html = PortalPage(portal);
                    break;
                case ["portal", var id, "cancel", var subscriptionId] when method == "POST":
                    try
                    {
                        _engine.PortalCancel(id, subscriptionId);
                        redirect = "/portal/" + id;
                    }
                    catch (StripeApiException)
                    {
                        (status, html) = (404, Page("Not found", "<p>No such portal session or subscription.</p>"));
                    }

                    break;
                default:
                    (status, html) = (404, Page("Not found", "<p>Unknown page.</p>"));
                    break;
            }
        }

        if (redirect is not null)
        {
            return new FrontResponse(303, "text/html; charset=utf-8", string.Empty) { Headers = { ["Location"] = redirect } };
        }

        return new FrontResponse(status, "text/html; charset=utf-8", html!);
    }

    private string CheckoutPage(CheckoutSession session)
    {
        var rows = new StringBuilder();
        foreach (var (priceId, quantity) in session.LineItems)
        {
            var price = _engine.Prices[priceId];
            var name = _engine.Products.TryGetValue(price.ProductId, out var p) ? p.Name : price.ProductId;
            rows.Append(CultureInfo.InvariantCulture, $"<li>{Encode(name)}: {Encode(Engine.FormatDecimal(price.UnitDecimal))} {Encode(price.Currency)} (minor units) per {(price.IsMetered ? "unit" : Encode(price.Interval))}{(quantity is { } q ? $" × {q}" : string.Empty)}</li>");
        }

        var trial = session.TrialPeriodDays is { } days ? $"<p>Includes a {days}-day free trial.</p>" : string.Empty;
        var content = session.Status == "open"
            ? $"<form method=\"post\" action=\"/checkout/{Encode(session.Id)}/complete\"><button type=\"submit\" id=\"complete\">Complete</button></form>" +
              (session.CancelUrl is { } cancel ? $"<p><a href=\"{Encode(cancel)}\">Cancel</a></p>" : string.Empty)
            : $"<p>This session is {Encode(session.Status)}.</p>";
        return Page("Checkout", $"<p>Customer: {Encode(session.CustomerId ?? session.CustomerEmail ?? "new customer")}</p><ul>{rows}</ul>{trial}{content}");
    }

    private string PortalPage(PortalSession portal)
    {
        var rows = new StringBuilder();
        foreach (var sub in _engine.Subscriptions.Values.Where(x => x.CustomerId == portal.CustomerId).OrderBy(x => x.Sequence))
        {
            var action = !sub.IsEnded && !sub.CancelAtPeriodEnd
                ? $"<form method=\"post\" action=\"/portal/{Encode(portal.Id)}/cancel/{Encode(sub.Id)}\"><button type=\"submit\">Cancel at period end</button></form>"
                : sub.CancelAtPeriodEnd && !sub.IsEnded ? "<em>cancels at period end</em>" : string.Empty;
            rows.Append(CultureInfo.InvariantCulture, $"<li><code>{Encode(sub.Id)}</code>: {Encode(sub.Status)}, period ends {sub.CurrentPeriodEnd:u} {action}</li>");
        }

        var back = portal.ReturnUrl is { } url ? $"<p><a href=\"{Encode(url)}\">Return</a></p>" : string.Empty;
        return Page("Billing portal", $"<p>Customer <code>{Encode(portal.CustomerId)}</code></p><ul>{rows}</ul>{back}");
    }

    private static string Encode(string? value) => WebUtility.HtmlEncode(value ?? string.Empty);

    private static string Page(string title, string content) =>
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{Encode(title)} (Stripe emulator)</title></head><body><h1>{Encode(title)}</h1>{content}</body></html>";
}
