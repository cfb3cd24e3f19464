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
                    if (card is not null && DeclineReason(card) is { } declined)
                    {
                        // The customer stays on the form, as on Stripe's page, and nothing is created.
                        (status, html) = (402, CheckoutPage(completing, declined));
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

    /// <summary>
    /// Why the Checkout form refuses <paramref name="cardNumber"/>, or null when it is a test card that attaches.
    /// Stripe's declining test cards (4000 0000 0000 0002, 4000 0000 0000 9995) are refused at payment, as is any number
    /// that is not a test card.
    /// </summary>
    internal static string? DeclineReason(string cardNumber)
    {
        var digits = cardNumber.Replace(" ", string.Empty, StringComparison.Ordinal);
        return digits switch
        {
            "4000000000000002" => "Your card was declined.",
            "4000000000009995" => "Your card has insufficient funds.",
            _ when Engine.IsTestCard(digits) => null,
            _ => "Your card was declined: this emulator accepts only Stripe's test cards, such as 4242 4242 4242 4242.",
        };
    }

    private string CheckoutPage(CheckoutSession session, string? error = null)
    {
        var rows = new StringBuilder();
        foreach (var (priceId, quantity) in session.LineItems)
        {
            var price = _engine.Prices[priceId];
            rows.Append(CultureInfo.InvariantCulture, $"<li>{Encode(ProductName(price))}: {Encode(Amount(price))}{(quantity is { } q ? $" × {q}" : string.Empty)}</li>");
        }

        var trial = session.TrialPeriodDays is { } days ? $"<p id=\"trial\">Includes a {days}-day free trial.</p>" : string.Empty;
        var message = error is null ? string.Empty : $"<p id=\"error\" role=\"alert\">{Encode(error)}</p>";
        var content = session.Status == "open"
            ? $"<form method=\"post\" action=\"/checkout/{Encode(session.Id)}/complete\">" +
              "<p><label>Card number <input name=\"card_number\" id=\"card_number\" value=\"\" placeholder=\"4242 4242 4242 4242\" autocomplete=\"off\" inputmode=\"numeric\"></label></p>" +
              "<p><label>Expiry <input name=\"card_expiry\" id=\"card_expiry\" placeholder=\"12 / 34\"></label> <label>CVC <input name=\"card_cvc\" id=\"card_cvc\" placeholder=\"123\"></label></p>" +
              "<button type=\"submit\" id=\"complete\">Complete payment</button></form>" +
              "<p><small>Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined.</small></p>" +
              (session.CancelUrl is { } cancel ? $"<p><a id=\"cancel\" href=\"{Encode(cancel)}\">Cancel</a></p>" : string.Empty)
            : $"<p>This session is {Encode(session.Status)}.</p>";
        return Page("Checkout", $"<p>Customer: {Encode(session.CustomerId ?? session.CustomerEmail ?? "new customer")}</p><ul>{rows}</ul>{trial}{message}{content}");
    }

    private string PortalPage(PortalSession portal)
    {
        var customer = _engine.Customers.GetValueOrDefault(portal.CustomerId);
        var who = customer is null ? portal.CustomerId : customer.Name ?? customer.Email ?? customer.Id;
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<p>Customer <strong id=\"customer\">{Encode(who)}</strong> (<code>{Encode(portal.CustomerId)}</code>)</p>");

        body.Append("<h2>Plan</h2>");
        var subscriptions = _engine.Subscriptions.Values.Where(x => x.CustomerId == portal.CustomerId && !x.IsEnded).OrderBy(x => x.Sequence).ToList();
        if (subscriptions.Count == 0)
        {
            body.Append("<p id=\"no-subscription\">No current subscription.</p>");
        }

        foreach (var sub in subscriptions)
        {
            var plan = string.Join(", ", sub.Items.Select(i => _engine.Prices.GetValueOrDefault(i.PriceId)).OfType<Price>().Select(p => $"{ProductName(p)} ({Amount(p)})"));
            var trial = sub.Status == "trialing" && sub.TrialEnd is { } trialEnd ? $", trial ends {trialEnd:yyyy-MM-dd}" : string.Empty;
            var action = sub.CancelAtPeriodEnd
                ? $"<p class=\"cancels\">Cancels at the end of the period, on {sub.CurrentPeriodEnd:yyyy-MM-dd}.</p>"
                : $"<form method=\"post\" action=\"/portal/{Encode(portal.Id)}/cancel/{Encode(sub.Id)}\"><button type=\"submit\" class=\"cancel-subscription\">Cancel subscription</button></form>";
            body.Append(CultureInfo.InvariantCulture, $"<div class=\"subscription\" data-subscription-id=\"{Encode(sub.Id)}\"><p><strong class=\"plan\">{Encode(plan)}</strong>: <span class=\"status\">{Encode(sub.Status)}</span>{trial}, current period {sub.CurrentPeriodStart:yyyy-MM-dd} to {sub.CurrentPeriodEnd:yyyy-MM-dd}</p>{action}</div>");
        }

        body.Append("<h2>Payment methods</h2>");
        var cards = customer is null ? [] : _engine.CardsOf(customer);
        if (cards.Count == 0)
        {
            body.Append("<p id=\"no-payment-method\">No payment method on file.</p>");
        }
        else
        {
            body.Append("<ul id=\"payment-methods\">");
            foreach (var card in cards)
            {
                var isDefault = card.Id == customer!.DefaultPaymentMethod ? " <em>default</em>" : string.Empty;
                body.Append(CultureInfo.InvariantCulture, $"<li class=\"payment-method\">{Encode(card.Brand)} ending in {Encode(card.Last4)}, expires {card.ExpMonth:D2}/{card.ExpYear}{isDefault}</li>");
            }

            body.Append("</ul>");
        }

        body.Append("<h2>Invoices</h2>");
        var invoices = _engine.Invoices.Values.Where(i => i.CustomerId == portal.CustomerId && i.FinalizedAt is not null).OrderByDescending(i => i.Sequence).ToList();
        if (invoices.Count == 0)
        {
            body.Append("<p id=\"no-invoice\">No invoices yet.</p>");
        }
        else
        {
            body.Append("<table id=\"invoices\"><tr><th>Number</th><th>Date</th><th>Status</th><th>Amount due</th><th></th></tr>");
            foreach (var invoice in invoices)
            {
                body.Append(CultureInfo.InvariantCulture,
                    $"<tr class=\"invoice\"><td>{Encode(invoice.Number ?? invoice.Id)}</td><td>{invoice.FinalizedAt:yyyy-MM-dd}</td><td>{Encode(invoice.Status)}</td><td>{invoice.AmountDue} {Encode(invoice.Currency)} (minor units)</td>" +
                    $"<td><a href=\"/invoice/{Encode(invoice.Id)}\">View</a> <a href=\"/invoice/{Encode(invoice.Id)}/pdf\">PDF</a></td></tr>");
            }

            body.Append("</table>");
        }

        if (portal.ReturnUrl is { } url)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p><a id=\"return\" href=\"{Encode(url)}\">Return</a></p>");
        }

        return Page("Billing portal", body.ToString());
    }

    private string ProductName(Price price) => _engine.Products.TryGetValue(price.ProductId, out var product) ? product.Name : price.ProductId;

    private static string Amount(Price price) =>
        string.Create(CultureInfo.InvariantCulture, $"{Engine.FormatDecimal(price.UnitDecimal)} {price.Currency} (minor units) per {(price.IsMetered ? "unit" : price.Interval)}");

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
