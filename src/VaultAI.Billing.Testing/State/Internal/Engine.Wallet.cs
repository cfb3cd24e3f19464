using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

/// <summary>A card attached to a customer (through the hosted Checkout page).</summary>
internal sealed class CardPaymentMethod : Resource
{
    public required string CustomerId { get; init; }

    public required string Brand { get; init; }

    public required string Last4 { get; init; }

    public int ExpMonth { get; init; }

    public int ExpYear { get; init; }

    public PaymentOutcome Outcome { get; init; }
}

/// <summary>One move of a customer's balance (Stripe's customer_balance_transaction).</summary>
internal sealed class BalanceTransaction : Resource
{
    public required string CustomerId { get; init; }

    public long Amount { get; init; }

    public required string Currency { get; init; }

    public string? Description { get; init; }

    public long EndingBalance { get; init; }

    public required string Type { get; init; }

    public string? InvoiceId { get; init; }
}

/// <summary>Payment methods and the customer balance: the wallet side of a customer.</summary>
internal sealed partial class Engine
{
    private static readonly ParameterSchema BalanceTransactionCreate = new("amount", "currency", "description", "metadata[*]", "expand[]");
    private static readonly ParameterSchema PaymentMethodList = new("limit", "starting_after", "ending_before", "expand[]", "type", "customer", "allow_redisplay");

    // Stripe's test card numbers the hosted Checkout page accepts; 4000 0000 0000 0341 attaches but its charges fail.
    private static readonly Dictionary<string, (string Brand, PaymentOutcome Outcome)> TestCards = new(StringComparer.Ordinal)
    {
        ["4242424242424242"] = ("visa", PaymentOutcome.Succeeds),
        ["5555555555554444"] = ("mastercard", PaymentOutcome.Succeeds),
        ["378282246310005"] = ("amex", PaymentOutcome.Succeeds),
        ["4000000000000341"] = ("visa", PaymentOutcome.Fails),
    };

    // The card details of the test payment method ids (pm_card_visa...) a customer can be given through the API.
    private static readonly Dictionary<string, (string Brand, string Last4)> TestTokenCards = new(StringComparer.Ordinal)
    {
        ["pm_card_visa"] = ("visa", "4242"),
        ["pm_card_mastercard"] = ("mastercard", "4444"),
        ["pm_card_amex"] = ("amex", "8431"),
        ["pm_card_chargeCustomerFail"] = ("visa", "0341"),
    };

    public Dictionary<string, CardPaymentMethod> PaymentMethods { get; } = new(StringComparer.Ordinal);

    public List<BalanceTransaction> BalanceTransactions { get; } = [];

    /// <summary>Whether <paramref name="cardNumber"/> (spaces allowed) is a test card the Checkout page accepts.</summary>
    public static bool IsTestCard(string? cardNumber) => cardNumber is not null && TestCards.ContainsKey(cardNumber.Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>Attaches a test card to the customer and makes it the default payment method.</summary>
    private void AttachCard(Customer customer, string cardNumber, DateTimeOffset now)
    {
        var digits = cardNumber.Replace(" ", string.Empty, StringComparison.Ordinal);
        var (brand, outcome) = TestCards[digits];
        var card = new CardPaymentMethod
        {
            Id = Ids.New("pm_", 24),
            Sequence = NextSequence(),
            Created = now,
            CustomerId = customer.Id,
            Brand = brand,
            Last4 = digits[^4..],
            ExpMonth = 12,
            ExpYear = now.Year + 3,
            Outcome = outcome,
        };
        PaymentMethods[card.Id] = card;
        customer.DefaultPaymentMethod = card.Id;
        customer.Outcome = outcome;
        Emit("payment_method.attached", Render(card), null, now);
    }

    /// <summary>The customer's cards, newest first: those attached through Checkout and a default test payment method id.</summary>
    public IReadOnlyList<CardPaymentMethod> CardsOf(Customer customer)
    {
        var cards = PaymentMethods.Values.Where(p => p.CustomerId == customer.Id).OrderByDescending(p => p.Sequence).ToList();
        if (customer.DefaultPaymentMethod is { } token && TestTokenCards.TryGetValue(token, out var known))
        {
            cards.Insert(0, new CardPaymentMethod
            {
                Id = token,
                Sequence = customer.Sequence,
                Created = customer.Created,
                CustomerId = customer.Id,
                Brand = known.Brand,
                Last4 = known.Last4,
                ExpMonth = 12,
                ExpYear = customer.Created.Year + 3,
                Outcome = customer.Outcome,
            });
        }

        return cards;
    }

    private ApiResponse? HandleWallet(string m, string[] s, FormNode f)
    {
        switch (s)
        {
            case ["v1", "customers", var id, "payment_methods"] when m == "GET":
                return Ok(ListPaymentMethods(FindCustomer(id), Checked(PaymentMethodList, f), $"/v1/customers/{id}/payment_methods"));
            case ["v1", "payment_methods"] when m == "GET":
                Checked(PaymentMethodList, f);
                var customerId = f.Required("customer");
                return Ok(ListPaymentMethods(FindCustomer(customerId, "customer"), f, "/v1/payment_methods"));
            case ["v1", "customers", var id, "balance_transactions"] when m == "POST":
                return Ok(CreateBalanceTransaction(FindCustomer(id), Checked(BalanceTransactionCreate, f)));
            case ["v1", "customers", var id, "balance_transactions"] when m == "GET":
                var customer = FindCustomer(id);
                Checked(ListBase, f);
                var all = BalanceTransactions.Where(t => t.CustomerId == customer.Id).OrderByDescending(t => t.Sequence);
                return Ok(RenderList(all, t => t.Id, t => Render(t), f, $"/v1/customers/{id}/balance_transactions", "customer_balance_transaction"));
            default:
                return null;
        }
    }

    private JsonObject ListPaymentMethods(Customer customer, FormNode f, string url)
    {
        if (NullIfEmpty(f.Str("type")) is { } type && type != "card")
        {
            return RenderList(Array.Empty<CardPaymentMethod>(), p => p.Id, p => Render(p), f, url, "payment_method");
        }

        return RenderList(CardsOf(customer), p => p.Id, p => Render(p), f, url, "payment_method");
    }

    private JsonObject CreateBalanceTransaction(Customer customer, FormNode f)
    {
        var amount = f.Long("amount") ?? throw StripeApiException.Missing("amount");
        var currency = f.Required("currency").ToLowerInvariant();
        if (customer.Currency is { } existing && existing != currency)
        {
            throw StripeApiException.Invalid($"The customer's balance is in {existing}; a balance transaction in {currency} is not possible.", "currency");
        }

        customer.Currency = currency;
        var transaction = MoveBalance(customer, amount, currency, NullIfEmpty(f.Str("description")), "adjustment", null, Now);
        transaction.ApplyMetadata(f.Map("metadata"), false);
        return Render(transaction);
    }

    private BalanceTransaction MoveBalance(Customer customer, long amount, string currency, string? description, string type, string? invoiceId, DateTimeOffset at)
    {
        var before = Render(customer);
        customer.Balance += amount;
        var transaction = new BalanceTransaction
        {
            Id = Ids.New("cbtxn_", 24),
            Sequence = NextSequence(),
            Created = at,
            CustomerId = customer.Id,
            Amount = amount,
            Currency = currency,
            Description = description,
            EndingBalance = customer.Balance,
            Type = type,
            InvoiceId = invoiceId,
        };
        BalanceTransactions.Add(transaction);
        var after = Render(customer);
        Emit("customer.updated", after, Diff(before, after), at);
        return transaction;
    }

    /// <summary>
    /// At finalization an invoice consumes the customer balance as Stripe does: a credit (negative balance) lowers
    /// the amount due down to zero at most, a debit (positive balance) is added to it; the balance moves by what was applied.
    /// </summary>
    private void ApplyCustomerBalance(Invoice invoice)
    {
        if (!Customers.TryGetValue(invoice.CustomerId, out var customer) || customer.Balance == 0 ||
            (customer.Currency is { } currency && currency != invoice.Currency))
        {
            return;
        }

        invoice.StartingBalance = customer.Balance;
        var applied = customer.Balance < 0 ? Math.Max(customer.Balance, -Math.Max(invoice.Total, 0)) : customer.Balance;
        invoice.AppliedBalance = applied;
        if (applied != 0)
        {
            MoveBalance(customer, -applied, invoice.Currency, null, "applied_to_invoice", invoice.Id, invoice.FinalizedAt ?? Now);
        }
    }

    public JsonObject Render(CardPaymentMethod p) => new()
    {
        ["id"] = p.Id,
        ["object"] = "payment_method",
        ["allow_redisplay"] = "always",
        ["billing_details"] = new JsonObject { ["address"] = null, ["email"] = null, ["name"] = null, ["phone"] = null },
        ["card"] = new JsonObject
        {
            ["brand"] = p.Brand,
            ["country"] = "US",
            ["display_brand"] = p.Brand,
            ["exp_month"] = p.ExpMonth,
            ["exp_year"] = p.ExpYear,
            ["funding"] = "credit",
            ["last4"] = p.Last4,
        },
        ["created"] = Unix(p.Created),
        ["customer"] = p.CustomerId,
        ["livemode"] = false,
        ["metadata"] = MetadataJson(p.Metadata),
        ["type"] = "card",
    };

    public JsonObject Render(BalanceTransaction t) => new()
    {
        ["id"] = t.Id,
        ["object"] = "customer_balance_transaction",
        ["amount"] = t.Amount,
        ["created"] = Unix(t.Created),
        ["credit_note"] = null,
        ["currency"] = t.Currency,
        ["customer"] = t.CustomerId,
        ["description"] = t.Description,
        ["ending_balance"] = t.EndingBalance,
        ["invoice"] = t.InvoiceId,
        ["livemode"] = false,
        ["metadata"] = MetadataJson(t.Metadata),
        ["type"] = t.Type,
    };
}
