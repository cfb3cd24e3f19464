using System.Text.Json.Nodes;
using VaultAI.Billing.Testing.Api.Internal;

namespace VaultAI.Billing.Testing.State.Internal;

internal sealed record ApiRequest(string Method, string Path, FormNode Form, string RawBody);

internal sealed record ApiResponse(int Status, JsonNode Body);

internal sealed partial class Engine
{
    private static readonly ParameterSchema CustomerWrite = new("email", "name", "description", "phone", "metadata[*]", "invoice_settings[default_payment_method]", "expand[]");
    private static readonly ParameterSchema CustomerCreate = new("email", "name", "description", "phone", "metadata[*]", "test_clock", "payment_method", "invoice_settings[default_payment_method]", "expand[]");
    private static readonly ParameterSchema ListBase = new("limit", "starting_after", "ending_before", "expand[]");
    private static readonly ParameterSchema CustomerList = new("limit", "starting_after", "ending_before", "expand[]", "email");
    private static readonly ParameterSchema CustomerSearch = new("query", "limit", "page", "expand[]");
    private static readonly ParameterSchema RetrieveOnly = new("expand[]");
    private static readonly ParameterSchema ProductCreate = new("name", "description", "active", "metadata[*]", "expand[]");
    private static readonly ParameterSchema ProductList = new("limit", "starting_after", "ending_before", "expand[]", "active");
    private static readonly ParameterSchema PriceCreate = new(
        "currency", "product", "unit_amount", "unit_amount_decimal", "recurring[interval]", "recurring[interval_count]",
        "recurring[usage_type]", "recurring[meter]", "lookup_key", "transfer_lookup_key", "nickname", "active", "metadata[*]",
        "product_data[name]", "billing_scheme", "tax_behavior", "expand[]",
        "tiers_mode", "tiers[][up_to]", "tiers[][unit_amount]", "tiers[][unit_amount_decimal]", "tiers[][flat_amount]", "tiers[][flat_amount_decimal]");
    private static readonly ParameterSchema PriceList = new(
        "limit", "starting_after", "ending_before", "expand[]", "active", "product", "lookup_keys[]", "type", "currency");
    private static readonly ParameterSchema PriceUpdate = new("active", "lookup_key", "transfer_lookup_key", "nickname", "metadata[*]", "expand[]");

    /// <summary>Routes one authenticated API request. Runs under <see cref="Gate"/>.</summary>
    public ApiResponse Handle(ApiRequest request)
    {
        // Clock-driven work that is due (the clock may have been moved without AdvanceTimeAsync).
        CatchUp();
        return InClockTime(RequestClock(request), () => Route(request));
    }

    /// <summary>The test clock whose frozen time a request runs in: that of the customer it concerns, if any.</summary>
    private string? RequestClock(ApiRequest request)
    {
        var s = request.Path.Trim('/').Split('/');
        var f = request.Form;
        string? customerId = null;
        switch (s)
        {
            case ["v1", "customers"] when request.Method == "POST":
                return NullIfEmpty(f.Str("test_clock")) is { } clockId && TestClocks.ContainsKey(clockId) ? clockId : null;
            case ["v1", "customers", var id, ..] when id != "search":
                customerId = id;
                break;
            case ["v1", "subscriptions", var id, ..]:
                customerId = Subscriptions.GetValueOrDefault(id)?.CustomerId;
                break;
            case ["v1", "invoices", var id, ..] when id != "create_preview":
                customerId = Invoices.GetValueOrDefault(id)?.CustomerId;
                break;
            case ["v1", "checkout", "sessions", var id, ..]:
                customerId = CheckoutSessions.GetValueOrDefault(id)?.CustomerId;
                break;
            case ["v1", "billing", "meter_events"]:
                customerId = MeterEventCustomer(NullIfEmpty(f.Str("event_name")), f.Map("payload"));
                break;
        }

        customerId ??= NullIfEmpty(f.Str("customer"));
        if (customerId is null && NullIfEmpty(f.Str("subscription")) is { } subscriptionId)
        {
            customerId = Subscriptions.GetValueOrDefault(subscriptionId)?.CustomerId;
        }

        return ClockOf(customerId);
    }

    private ApiResponse Route(ApiRequest request)
    {
        var s = request.Path.Trim('/').Split('/');
        var m = request.Method;
        var f = request.Form;

        if (s is ["v1", "test_helpers", "test_clocks", ..] && HandleTestClocks(m, s, f) is { } clockResponse)
        {
            return clockResponse;
        }

        if (HandleWallet(m, s, f) is { } walletResponse)
        {
            return walletResponse;
        }

        switch (s)
        {
            case ["v1", "customers"] when m == "POST":
                return Ok(CreateCustomer(Checked(CustomerCreate, f)));
            case ["v1", "customers"] when m == "GET":
                return Ok(ListCustomers(Checked(CustomerList, f)));
            case ["v1", "customers", "search"] when m == "GET":
                return Ok(SearchCustomers(Checked(CustomerSearch, f)));
            case ["v1", "customers", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(FindCustomer(id)));
            case ["v1", "customers", var id] when m == "POST":
                return Ok(UpdateCustomer(id, Checked(CustomerWrite, f)));

            case ["v1", "products"] when m == "POST":
                return Ok(CreateProduct(Checked(ProductCreate, f)));
            case ["v1", "products"] when m == "GET":
                return Ok(ListProducts(Checked(ProductList, f)));
            case ["v1", "products", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(Products.GetValueOrDefault(id) ?? throw StripeApiException.NotFound("product", id)));

            case ["v1", "prices"] when m == "POST":
                return Ok(CreatePrice(Checked(PriceCreate, f)));
            case ["v1", "prices"] when m == "GET":
                return Ok(ListPrices(Checked(PriceList, f)));
            case ["v1", "prices", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(FindPrice(id, "id")));
            case ["v1", "prices", var id] when m == "POST":
                return Ok(UpdatePrice(id, Checked(PriceUpdate, f)));

            case ["v1", "billing", "meters"] when m == "POST":
                return Ok(CreateMeter(Checked(MeterCreate, f)));
            case ["v1", "billing", "meters"] when m == "GET":
                return Ok(ListMeters(Checked(MeterList, f)));
            case ["v1", "billing", "meters", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(FindMeter(id)));
            case ["v1", "billing", "meters", var id, "event_summaries"] when m == "GET":
                return Ok(EventSummaries(id, Checked(SummaryList, f)));
            case ["v1", "billing", "meter_events"] when m == "POST":
                return Ok(CreateMeterEvent(Checked(MeterEventCreate, f)));
            case ["v2", "billing", "meter_event_session"] when m == "POST":
                return Ok(CreateMeterEventSession());

            case ["v1", "subscriptions"] when m == "POST":
                return Ok(CreateSubscriptionFromApi(Checked(SubscriptionCreate, f)));
            case ["v1", "subscriptions"] when m == "GET":
                return Ok(ListSubscriptions(Checked(SubscriptionList, f)));
            case ["v1", "subscriptions", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(FindSubscription(id), Expand(f)));
            case ["v1", "subscriptions", var id] when m == "POST":
                return Ok(UpdateSubscription(id, Checked(SubscriptionUpdate, f)));
            case ["v1", "subscriptions", var id] when m == "DELETE":
                return Ok(CancelSubscriptionFromApi(id, Checked(SubscriptionCancel, f)));

            case ["v1", "invoices"] when m == "GET":
                return Ok(ListInvoices(Checked(InvoiceList, f)));
            case ["v1", "invoices", "create_preview"] when m == "POST":
                return Ok(PreviewInvoice(Checked(InvoicePreview, f)));
            case ["v1", "invoices", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(Invoices.GetValueOrDefault(id) ?? throw StripeApiException.NotFound("invoice", id), Expand(f)));

            case ["v1", "checkout", "sessions"] when m == "POST":
                return Ok(CreateCheckoutSession(Checked(CheckoutCreate, f)));
            case ["v1", "checkout", "sessions", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                return Ok(Render(FindCheckoutSession(id), Expand(f)));
            case ["v1", "billing_portal", "sessions"] when m == "POST":
                return Ok(CreatePortalSession(Checked(PortalCreate, f)));

            case ["v1", "events"] when m == "GET":
                return Ok(ListEvents(Checked(EventList, f)));
            case ["v1", "events", var id] when m == "GET":
                Checked(RetrieveOnly, f);
                var evt = Events.Find(e => e.Id == id) ?? throw StripeApiException.NotFound("event", id);
                return Ok(JsonNode.Parse(evt.Json)!);

            default:
                throw new StripeApiException(404, "invalid_request_error", $"Unrecognized request URL ({m}: {request.Path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.")
                {
                    BeforeExecution = true,
                };
        }
    }

    private static ApiResponse Ok(JsonNode body) => new(200, body);

    private static FormNode Checked(ParameterSchema schema, FormNode form)
    {
        schema.Validate(form);
        return form;
    }

    // ---- customers ----
    private JsonObject CreateCustomer(FormNode f)
    {
        // Everything that can be refused is checked before the customer exists.
        var clockId = NullIfEmpty(f.Str("test_clock")) is { } clock ? FindTestClock(clock, "test_clock").Id : null;
        if (NullIfEmpty(f.Str("payment_method")) is { } attached)
        {
            TestPaymentMethods.Resolve(attached, "payment_method");
        }

        if (f.Node("invoice_settings")?.Str("default_payment_method") is { Length: > 0 } defaultMethod)
        {
            TestPaymentMethods.Resolve(defaultMethod, "invoice_settings[default_payment_method]");
        }

        var customer = NewCustomer(f.Str("email"), f.Str("name"), f.Map("metadata"), Now);
        customer.Description = f.Str("description");
        customer.Phone = f.Str("phone");
        customer.TestClockId = clockId;
        ApplyDefaultPaymentMethod(customer, f);

        var json = Render(customer);
        Emit("customer.created", json, null, Now);
        return Render(customer);
    }

    public Customer NewCustomer(string? email, string? name, Dictionary<string, string> metadata, DateTimeOffset at)
    {
        var customer = new Customer
        {
            Id = Ids.New("cus_", 14),
            Sequence = NextSequence(),
            Created = at,
            Email = string.IsNullOrEmpty(email) ? null : email,
            Name = string.IsNullOrEmpty(name) ? null : name,
        };
        customer.ApplyMetadata(metadata, false);
        Customers[customer.Id] = customer;
        return customer;
    }

    private JsonObject UpdateCustomer(string id, FormNode f)
    {
        var c = FindCustomer(id);
        if (f.Node("invoice_settings")?.Str("default_payment_method") is { Length: > 0 } defaultMethod)
        {
            TestPaymentMethods.Resolve(defaultMethod, "invoice_settings[default_payment_method]"); // refused before anything changes
        }

        var before = Render(c);
        if (f.Has("email"))
        {
            c.Email = NullIfEmpty(f.Str("email"));
        }

        if (f.Has("name"))
        {
            c.Name = NullIfEmpty(f.Str("name"));
        }

        if (f.Has("description"))
        {
            c.Description = NullIfEmpty(f.Str("description"));
        }

        if (f.Has("phone"))
        {
            c.Phone = NullIfEmpty(f.Str("phone"));
        }

        ApplyDefaultPaymentMethod(c, f);
        c.ApplyMetadata(f.Map("metadata"), f.Str("metadata") == string.Empty);
        var after = Render(c);
        var previous = Diff(before, after);
        if (previous.Count > 0)
        {
            Emit("customer.updated", after, previous, Now);
        }

        return Render(c);
    }

    // invoice_settings[default_payment_method] takes one of Stripe's test payment methods; the one given decides
    // whether later charges succeed, as in Stripe test mode (an empty value unsets it: charges succeed again).
    private static void ApplyDefaultPaymentMethod(Customer customer, FormNode f)
    {
        if (f.Node("invoice_settings") is not { } settings || !settings.Has("default_payment_method"))
        {
            return;
        }

        var id = NullIfEmpty(settings.Str("default_payment_method"));
        customer.Outcome = id is null ? PaymentOutcome.Succeeds : TestPaymentMethods.Resolve(id, "invoice_settings[default_payment_method]");
        customer.DefaultPaymentMethod = id;
    }

    private JsonObject ListCustomers(FormNode f)
    {
        IEnumerable<Customer> all = Customers.Values.OrderByDescending(c => c.Sequence);
        if (f.Str("email") is { Length: > 0 } email)
        {
            all = all.Where(c => string.Equals(c.Email, email, StringComparison.OrdinalIgnoreCase));
        }

        return RenderList(all, c => c.Id, c => Render(c), f, "/v1/customers", "customer");
    }

    private JsonObject SearchCustomers(FormNode f)
    {
        var query = f.Required("query");
        var clauses = SearchQuery.Parse(query);
        var matches = Customers.Values
            .OrderByDescending(c => c.Sequence)
            .Where(c => clauses.All(clause => clause.Matches(c)))
            .ToList();
        var limit = Limit(f);
        var offset = 0;
        if (f.Str("page") is { Length: > 0 } page)
        {
            if (!page.StartsWith("page_", StringComparison.Ordinal) ||
                !int.TryParse(page.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out offset))
            {
                throw StripeApiException.Invalid("Invalid page: the value is not a page token returned by a previous search.", "page");
            }
        }

        var data = new JsonArray();
        foreach (var c in matches.Skip(offset).Take(limit))
        {
            data.Add(Render(c));
        }

        var hasMore = offset + limit < matches.Count;
        return new JsonObject
        {
            ["object"] = "search_result",
            ["data"] = data,
            ["has_more"] = hasMore,
            ["next_page"] = hasMore ? $"page_{offset + limit}" : null,
            ["url"] = "/v1/customers/search",
        };
    }

    public Customer FindCustomer(string id, string param = "id") =>
        Customers.GetValueOrDefault(id) ?? throw StripeApiException.NotFound("customer", id, param);

    // ---- products and prices ----
    private JsonObject CreateProduct(FormNode f)
    {
        var product = new Product
        {
            Id = Ids.New("prod_", 14),
            Sequence = NextSequence(),
            Created = Now,
            Name = f.Required("name"),
            Description = f.Str("description"),
            Active = f.Bool("active") ?? true,
        };
        product.ApplyMetadata(f.Map("metadata"), false);
        Products[product.Id] = product;
        Emit("product.created", Render(product), null, Now);
        return Render(product);
    }

    private JsonObject ListProducts(FormNode f)
    {
        var active = f.Bool("active");
        var all = Products.Values.OrderByDescending(p => p.Sequence).Where(p => active is null || p.Active == active);
        return RenderList(all, p => p.Id, p => Render(p), f, "/v1/products", "product");
    }

    private JsonObject CreatePrice(FormNode f)
    {
        var currency = f.Required("currency").ToLowerInvariant();
        string productId;
        if (f.Str("product") is { Length: > 0 } pid)
        {
            productId = (Products.GetValueOrDefault(pid) ?? throw StripeApiException.NotFound("product", pid, "product")).Id;
        }
        else if (f.Node("product_data")?.Str("name") is { Length: > 0 } productName)
        {
            var product = new Product { Id = Ids.New("prod_", 14), Sequence = NextSequence(), Created = Now, Name = productName };
            Products[product.Id] = product;
            Emit("product.created", Render(product), null, Now);
            productId = product.Id;
        }
        else
        {
            throw StripeApiException.Missing("product");
        }

        var tiering = ReadTiering(f);
        var unitAmount = f.Long("unit_amount");
        var unitAmountDecimal = f.Decimal("unit_amount_decimal");
        // A tiered price carries its amounts in its tiers (ReadTiering rejects unit_amount on one).
        if (tiering is null && unitAmount is not null && unitAmountDecimal is not null)
        {
            throw StripeApiException.Invalid("You may only specify one of these parameters: unit_amount, unit_amount_decimal.", "unit_amount_decimal");
        }

        if (tiering is null && unitAmount is null && unitAmountDecimal is null)
        {
            throw StripeApiException.Missing("unit_amount");
        }

        if (unitAmount < 0 || unitAmountDecimal < 0)
        {
            throw StripeApiException.Invalid("Invalid non-negative integer", unitAmount is null ? "unit_amount_decimal" : "unit_amount");
        }

        string? interval = null;
        var intervalCount = 1;
        var usageType = "licensed";
        string? meterId = null;
        if (f.Node("recurring") is { } recurring)
        {
            interval = recurring.Required("interval", "recurring[interval]");
            if (interval is not ("day" or "week" or "month" or "year"))
            {
                throw StripeApiException.Invalid($"Invalid recurring[interval]: must be one of day, month, week, or year", "recurring[interval]");
            }

            intervalCount = (int)(recurring.Long("interval_count", "recurring[interval_count]") ?? 1);
            usageType = recurring.Str("usage_type") ?? "licensed";
            if (usageType is not ("licensed" or "metered"))
            {
                throw StripeApiException.Invalid("Invalid recurring[usage_type]: must be one of licensed or metered", "recurring[usage_type]");
            }

            meterId = NullIfEmpty(recurring.Str("meter"));
            if (usageType == "metered" && meterId is null)
            {
                throw StripeApiException.Invalid("Missing required param: recurring[meter]. Metered prices must be backed by a billing meter.", "recurring[meter]", "parameter_missing");
            }

            if (meterId is not null)
            {
                if (usageType != "metered")
                {
                    throw StripeApiException.Invalid("recurring[meter] can only be set when recurring[usage_type] is metered.", "recurring[meter]");
                }

                FindMeter(meterId, "recurring[meter]");
            }
        }

        var lookupKey = NullIfEmpty(f.Str("lookup_key"));
        if (lookupKey is not null)
        {
            var holder = Prices.Values.FirstOrDefault(p => p.LookupKey == lookupKey);
            if (holder is not null)
            {
                if (f.Bool("transfer_lookup_key") != true)
                {
                    throw StripeApiException.Invalid(
                        $"A price (`{holder.Id}`) already uses that lookup key. Set `transfer_lookup_key=true` to transfer it to this price.",
                        "lookup_key");
                }

                holder.LookupKey = null;
            }
        }

        var price = new Price
        {
            Id = Ids.New("price_", 24),
            Sequence = NextSequence(),
            Created = Now,
            ProductId = productId,
            Currency = currency,
            UnitAmount = unitAmount,
            UnitAmountDecimal = unitAmountDecimal,
            Interval = interval,
            IntervalCount = intervalCount,
            UsageType = usageType,
            MeterId = meterId,
            LookupKey = lookupKey,
            Nickname = f.Str("nickname"),
            Active = f.Bool("active") ?? true,
        };
        price.ApplyMetadata(f.Map("metadata"), false);
        price.ApplyTiering(tiering);
        Prices[price.Id] = price;
        Emit("price.created", Render(price), null, Now);
        return Render(price);
    }

    private JsonObject UpdatePrice(string id, FormNode f)
    {
        var price = FindPrice(id, "id");
        if (f.Bool("active") is { } active)
        {
            price.Active = active;
        }

        if (f.Has("nickname"))
        {
            price.Nickname = NullIfEmpty(f.Str("nickname"));
        }

        if (f.Has("lookup_key"))
        {
            var key = NullIfEmpty(f.Str("lookup_key"));
            var holder = key is null ? null : Prices.Values.FirstOrDefault(p => p.LookupKey == key && p.Id != price.Id);
            if (holder is not null)
            {
                if (f.Bool("transfer_lookup_key") != true)
                {
                    throw StripeApiException.Invalid($"A price (`{holder.Id}`) already uses that lookup key.", "lookup_key");
                }

                holder.LookupKey = null;
            }

            price.LookupKey = key;
        }

        price.ApplyMetadata(f.Map("metadata"), f.Str("metadata") == string.Empty);
        return Render(price);
    }

    private JsonObject ListPrices(FormNode f)
    {
        IEnumerable<Price> all = Prices.Values.OrderByDescending(p => p.Sequence);
        if (f.Bool("active") is { } active)
        {
            all = all.Where(p => p.Active == active);
        }

        if (f.Str("product") is { Length: > 0 } product)
        {
            all = all.Where(p => p.ProductId == product);
        }

        if (f.Str("type") is { Length: > 0 } type)
        {
            all = all.Where(p => (p.Interval is null ? "one_time" : "recurring") == type);
        }

        if (f.Str("currency") is { Length: > 0 } currency)
        {
            all = all.Where(p => p.Currency == currency);
        }

        var lookupKeys = f.Strings("lookup_keys");
        if (lookupKeys.Count > 0)
        {
            all = all.Where(p => p.LookupKey is not null && lookupKeys.Contains(p.LookupKey));
        }

        return RenderList(all, p => p.Id, p => Render(p), f, "/v1/prices", "price");
    }

    public Price FindPrice(string id, string param) =>
        Prices.GetValueOrDefault(id) ?? throw StripeApiException.NotFound("price", id, param);

    // ---- events ----
    private static readonly ParameterSchema EventList = new(
        "limit", "starting_after", "ending_before", "expand[]", "type", "types[]", "created", "created[gte]", "created[gt]", "created[lte]", "created[lt]", "delivery_success");

    private JsonObject ListEvents(FormNode f)
    {
        IEnumerable<EventRecord> all = Events.OrderByDescending(e => e.Sequence);
        if (f.Str("type") is { Length: > 0 } type)
        {
            all = all.Where(e => type.EndsWith(".*", StringComparison.Ordinal)
                ? e.Type.StartsWith(type[..^1], StringComparison.Ordinal)
                : e.Type == type);
        }

        var types = f.Strings("types");
        if (types.Count > 0)
        {
            all = all.Where(e => types.Contains(e.Type));
        }

        if (f.Node("created") is { } created)
        {
            if (created.Value is { Length: > 0 })
            {
                var exact = f.Long("created")!.Value;
                all = all.Where(e => Unix(e.Created) == exact);
            }

            var gte = created.Long("gte", "created[gte]");
            var gt = created.Long("gt", "created[gt]");
            var lte = created.Long("lte", "created[lte]");
            var lt = created.Long("lt", "created[lt]");
            all = all.Where(e =>
                (gte is null || Unix(e.Created) >= gte) && (gt is null || Unix(e.Created) > gt) &&
                (lte is null || Unix(e.Created) <= lte) && (lt is null || Unix(e.Created) < lt));
        }

        return RenderList(all, e => e.Id, e => JsonNode.Parse(e.Json)!, f, "/v1/events", "event");
    }

    // ---- helpers ----
    public static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>The previous values of the top-level fields that changed.</summary>
    public static JsonObject Diff(JsonObject before, JsonObject after)
    {
        var result = new JsonObject();
        foreach (var (key, value) in before)
        {
            var afterValue = after[key];
            if (!JsonNode.DeepEquals(value, afterValue))
            {
                result[key] = value?.DeepClone();
            }
        }

        return result;
    }
}
