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

    public FrontResponse Handle(string method, string path, FormNode form)
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

                    var card = form.Str("card_number");
                    if (card is not null && !Engine.IsTestCard(card))
                    {
                        (status, html) = (402, Page("Checkout", "<p id=\"error\">Your card was declined: use a test card such as 4242 4242 4242 4242.</p>") );
                        break;
                    }

                    try
                    {
                        _engine.CompleteCheckout(id, card);
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
                case ["invoice", var id] when method == "GET":
                    if (!_engine.Invoices.TryGetValue(id, out var invoice) || invoice.FinalizedAt is null)
                    {
                        (status, html) = (404, Page("Not found", "<p>No such invoice.</p>"));
                        break;
                    }

                    html = InvoicePage(invoice);
                    break;
                case ["invoice", var id, "pdf"] when method == "GET":
                    if (!_engine.Invoices.TryGetValue(id, out var pdfInvoice) || pdfInvoice.FinalizedAt is null)
                    {
                        (status, html) = (404, Page("Not found", "<p>No such invoice.</p>"));
                        break;
                    }

                    return new FrontResponse(200, "application/pdf", InvoicePdf(pdfInvoice));
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
            ? $"<form method=\"post\" action=\"/checkout/{Encode(session.Id)}/complete\">" +
              "<p><label>Card number <input name=\"card_number\" id=\"card_number\" value=\"\" placeholder=\"4242 4242 4242 4242\" autocomplete=\"off\"></label></p>" +
              "<p><label>Expiry <input name=\"card_expiry\" id=\"card_expiry\" placeholder=\"12 / 34\"></label> <label>CVC <input name=\"card_cvc\" id=\"card_cvc\" placeholder=\"123\"></label></p>" +
              "<button type=\"submit\" id=\"complete\">Complete payment</button></form>" +
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

    private string InvoicePage(Invoice invoice)
    {
        var rows = new StringBuilder();
        foreach (var line in invoice.Lines)
        {
            rows.Append(CultureInfo.InvariantCulture, $"<li>{Encode(line.Description)}: {line.Amount} {Encode(invoice.Currency)} (minor units)</li>");
        }

        return Page(
            $"Invoice {invoice.Number}",
            $"<p>Customer <code>{Encode(invoice.CustomerId)}</code>, status <strong>{Encode(invoice.Status)}</strong>, period {invoice.PeriodStart:u} to {invoice.PeriodEnd:u}</p><ul>{rows}</ul>" +
            $"<p>Total: {invoice.Total} {Encode(invoice.Currency)} (minor units)</p><p><a href=\"/invoice/{Encode(invoice.Id)}/pdf\">PDF</a></p>");
    }

    /// <summary>A one-page PDF (ASCII only, so the string body is its bytes) naming the invoice, its status and total.</summary>
    private static string InvoicePdf(Invoice invoice)
    {
        static string Escape(string value) => new string(value.Where(ch => ch is >= ' ' and <= '~').ToArray()).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal);
        var text = Escape(string.Create(CultureInfo.InvariantCulture, $"Invoice {invoice.Number} ({invoice.Id}) {invoice.Status}: {invoice.Total} {invoice.Currency} (minor units)"));
        var content = $"BT /F1 12 Tf 72 720 Td ({text}) Tj ET";
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            $"<< /Length {content.Length} >>\nstream\n{content}\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ];
        var pdf = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }

        var xref = pdf.Length;
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets)
        {
            pdf.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n");
        }

        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return pdf.ToString();
    }

    private static string Encode(string? value) => WebUtility.HtmlEncode(value ?? string.Empty);

    private static string Page(string title, string content) =>
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{Encode(title)} (Stripe emulator)</title></head><body><h1>{Encode(title)}</h1>{content}</body></html>";
}
