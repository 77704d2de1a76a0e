using Tally.Domain.Access;

namespace Tally.Domain.Tests;

public sealed class AccessTests
{
    private static Grant TenantToken(
        Role role = Role.Member,
        string[]? permissions = null,
        string[]? scopes = null,
        string[]? namespaces = null,
        string tenant = "acme") =>
        new("tok_1", tenant, role, permissions ?? [], scopes ?? [], namespaces ?? []);

    private static Grant OperatorToken(Role role = Role.Admin) => new("tok_op", null, role, [], [], []);

    [Fact]
    public void Roles_are_ordered_viewer_then_member_then_admin()
    {
        Assert.True(Role.Viewer < Role.Member);
        Assert.True(Role.Member < Role.Admin);
    }

    [Theory]
    [InlineData(Role.Viewer, false, false)]
    [InlineData(Role.Member, true, false)]
    [InlineData(Role.Admin, true, true)]
    public void Members_and_admins_can_write_and_only_admins_are_admins(Role role, bool canWrite, bool isAdmin)
    {
        var grant = TenantToken(role);
        Assert.Equal(canWrite, grant.CanWrite);
        Assert.Equal(isAdmin, grant.IsAdmin);
    }

    [Theory]
    [InlineData("admin", Role.Admin)]
    [InlineData("member", Role.Member)]
    [InlineData("viewer", Role.Viewer)]
    public void Role_wire_values_round_trip(string wire, Role role)
    {
        Assert.Equal(role, Roles.Parse(wire));
        Assert.Equal(wire, role.ToWire());
    }

    [Theory]
    [InlineData("Admin")]
    [InlineData("owner")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unknown_role_throws_with_field_role(string? wire)
    {
        var error = Assert.Throws<DomainValidationException>(() => Roles.Parse(wire));
        Assert.Equal("role", error.Field);
    }

    [Fact]
    public void An_empty_permission_list_allows_every_area()
    {
        var grant = TenantToken(permissions: []);
        Assert.All(Permissions.All, p => Assert.True(grant.HasPermission(p)));
    }

    [Fact]
    public void A_permission_list_allows_only_the_areas_it_names()
    {
        var grant = TenantToken(permissions: [Permissions.Quota, Permissions.Usage]);
        Assert.True(grant.HasPermission(Permissions.Quota));
        Assert.True(grant.HasPermission(Permissions.Usage));
        Assert.False(grant.HasPermission(Permissions.Billing));
        Assert.False(grant.HasPermission(Permissions.Tenants));
        Assert.False(grant.HasPermission("Quota"));
    }

    [Fact]
    public void Scopes_are_never_implied_by_role_or_by_an_empty_list()
    {
        var admin = TenantToken(Role.Admin, scopes: []);
        Assert.All(Scopes.All, s => Assert.False(admin.HasScope(s)));
        Assert.False(OperatorToken().HasScope(Scopes.Billing));

        var admitter = TenantToken(Role.Viewer, scopes: [Scopes.QuotaAdmit]);
        Assert.True(admitter.HasScope(Scopes.QuotaAdmit));
        Assert.False(admitter.HasScope(Scopes.UsageWrite));
    }

    [Fact]
    public void An_empty_namespace_list_allows_every_namespace()
    {
        var grant = TenantToken(namespaces: []);
        Assert.True(grant.CanAccessNamespace("system"));
        Assert.True(grant.CanAccessNamespace("anything"));
    }

    [Fact]
    public void A_namespace_allow_list_allows_only_the_namespaces_it_names()
    {
        var grant = TenantToken(namespaces: ["prod", "staging"]);
        Assert.True(grant.CanAccessNamespace("prod"));
        Assert.True(grant.CanAccessNamespace("staging"));
        Assert.False(grant.CanAccessNamespace("system"));
        Assert.False(grant.CanAccessNamespace("Prod"));
    }

    [Fact]
    public void An_operator_token_sees_every_tenant()
    {
        var grant = OperatorToken(Role.Viewer);
        Assert.True(grant.IsOperator);
        Assert.True(grant.CanSeeTenant("acme"));
        Assert.True(grant.CanSeeTenant("globex"));
    }

    [Fact]
    public void A_tenant_token_sees_only_its_own_tenant()
    {
        var grant = TenantToken(Role.Admin, tenant: "acme");
        Assert.False(grant.IsOperator);
        Assert.True(grant.CanSeeTenant("acme"));
        Assert.False(grant.CanSeeTenant("globex"));
        Assert.False(grant.CanSeeTenant("ACME"));
        Assert.False(grant.CanSeeTenant(""));
    }
}
