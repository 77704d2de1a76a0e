namespace Tally.Domain.Catalog;

/// <summary>F5 <c>schemaPlanType</c>.</summary>
public enum PlanType
{
    Free,
    Individual,
    Team,
    Organization,
    Unspecified,
}

/// <summary>F5 <c>schemaTenantType</c>: FREEMIUM tenants have no domain of their own, ENTERPRISE tenants have one.</summary>
public enum TenantType
{
    Unknown,
    Freemium,
    Enterprise,
}

/// <summary>F5 <c>planPeriodUnitType</c>.</summary>
public enum PeriodUnit
{
    Unknown,
    Day,
    Week,
    Month,
    Year,
}

/// <summary>F5 <c>planPlanTransitionMethod</c>: how a tenant moves onto a plan.</summary>
public enum TransitionMethod
{
    Unspecified,

    /// <summary>Through a support request.</summary>
    Support,

    /// <summary>Through a wizard asking for the plan's required fields.</summary>
    Wizard,

    /// <summary>By deleting the tenant and creating a new one.</summary>
    Recreate,
}

/// <summary>F5 <c>planPlanTransitionRequiredField</c>: what a tenant must provide to move onto a plan.</summary>
public enum TransitionRequiredField
{
    Unspecified,
    PaymentToken,
    Domain,
    Contacts,
}

/// <summary>F5 wire names (proto enum value names) of the catalog enums, both ways. Parsing is exact (upper case).</summary>
public static class CatalogEnums
{
    private static readonly string[] PlanTypeNames = ["FREE", "INDIVIDUAL", "TEAM", "ORGANIZATION", "PLAN_TYPE_UNSPECIFIED"];
    private static readonly string[] TenantTypeNames = ["UNKNOWN", "FREEMIUM", "ENTERPRISE"];
    private static readonly string[] PeriodUnitNames = ["PERIOD_UNKNOWN", "PERIOD_DAY", "PERIOD_WEEK", "PERIOD_MONTH", "PERIOD_YEAR"];
    private static readonly string[] MethodNames = ["TRANSITION_METHOD_UNSPECIFIED", "TRANSITION_METHOD_SUPPORT", "TRANSITION_METHOD_WIZARD", "TRANSITION_METHOD_RECREATE"];
    private static readonly string[] RequiredFieldNames =
        ["TRANSITION_REQUIRED_FIELD_UNSPECIFIED", "TRANSITION_REQUIRED_FIELD_PAYMENT_TOKEN", "TRANSITION_REQUIRED_FIELD_DOMAIN", "TRANSITION_REQUIRED_FIELD_CONTACTS"];

    public static string ToWire(this PlanType value) => PlanTypeNames[(int)value];

    public static string ToWire(this TenantType value) => TenantTypeNames[(int)value];

    public static string ToWire(this PeriodUnit value) => PeriodUnitNames[(int)value];

    public static string ToWire(this TransitionMethod value) => MethodNames[(int)value];

    public static string ToWire(this TransitionRequiredField value) => RequiredFieldNames[(int)value];

    public static PlanType ParsePlanType(string? text, string field = "usage_plan_type") => (PlanType)Parse(PlanTypeNames, text, field);

    public static TenantType ParseTenantType(string? text, string field = "tenant_type") => (TenantType)Parse(TenantTypeNames, text, field);

    public static PeriodUnit ParsePeriodUnit(string? text, string field) => (PeriodUnit)Parse(PeriodUnitNames, text, field);

    public static TransitionMethod ParseTransitionMethod(string? text, string field = "transition_flow.method") =>
        (TransitionMethod)Parse(MethodNames, text, field);

    public static TransitionRequiredField ParseRequiredField(string? text, string field) =>
        (TransitionRequiredField)Parse(RequiredFieldNames, text, field);

    private static int Parse(string[] names, string? text, string field)
    {
        var index = text is null ? -1 : Array.IndexOf(names, text);
        return index >= 0
            ? index
            : throw new DomainValidationException(field,
                $"{field} must be one of {string.Join(", ", names)}, not '{(text is null ? "null" : Names.Truncate(text))}'.");
    }
}
