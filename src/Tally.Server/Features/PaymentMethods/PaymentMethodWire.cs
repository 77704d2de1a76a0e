using System.Text.Json.Nodes;

namespace Tally.Server.Features.PaymentMethods;

// F5 wire types of ves.io.schema.billing.payment_method (specs/f5xc/official/*billing.payment_method*.json).
// Field names are exact; unknown fields are refused (400).

/// <summary><c>payment_methodCreatePaymentMethodRequest</c>. <c>role</c> is a <c>payment_methodPaymentMethodRole</c> name.</summary>
public sealed record F5CreatePaymentMethodRequest(string? Namespace, string? Token, string? Role, JsonObject? Contact);

/// <summary><c>payment_methodCreatePaymentMethodResponse</c>.</summary>
public sealed record F5CreatePaymentMethodResponse(string Name);

/// <summary>
/// <c>payment_methodPaymentMethodPrimaryReq</c>, <c>...SecondaryReq</c> and <c>...RoleSwapReq</c> (same two fields), and
/// the optional body of Delete (GO <c>DeletePaymentMethodRequest</c>).
/// </summary>
public sealed record F5PaymentMethodNameRequest(string? Namespace, string? Name);

/// <summary>Operator API: <c>GET /api/admin/tenants/{tenant}/payment_methods</c>.</summary>
public sealed record PaymentMethodListResponse(IReadOnlyList<PaymentMethodItem> Items);

/// <summary>
/// One stored method, masked: no card number, no gateway reference. <c>role</c> is F5's enum name; <c>contact</c> the
/// stored <c>contactGlobalSpecType</c> (omitted when none).
/// </summary>
public sealed record PaymentMethodItem(string Name, string Role, string Brand, string Last4, int ExpMonth, int ExpYear, JsonObject? Contact);
