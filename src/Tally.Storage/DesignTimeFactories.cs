using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Tally.Storage;

/// <summary>Used by <c>dotnet ef migrations add ... --context SqliteTallyDbContext</c>; no database is opened.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteTallyDbContext>
{
    public SqliteTallyDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteTallyDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>Used by <c>dotnet ef migrations add ... --context PostgresTallyDbContext</c>; no database is opened.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresTallyDbContext>
{
    public PostgresTallyDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresTallyDbContext>().UseNpgsql("Host=localhost;Database=tally_design").Options);
}
