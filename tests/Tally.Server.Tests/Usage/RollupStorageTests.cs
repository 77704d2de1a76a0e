using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;

namespace Tally.Server.Tests.Usage;

/// <summary>PostgreSQL storage settings the ingest path relies on for its speed.</summary>
public sealed class RollupStorageTestsOnPostgres(PostgresFixture fx) : IClassFixture<PostgresFixture>
{
    [Theory]
    [InlineData("usage_hourly")]
    [InlineData("usage_metric_hourly")]
    [InlineData("usage_daily")]
    public async Task Roll_up_tables_leave_room_on_each_page_for_hot_updates(string table)
    {
        var database = fx.Services.GetRequiredService<TallyDatabase>();
        await using var connection = await database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = @table";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "table";
        parameter.Value = table;
        command.Parameters.Add(parameter);

        var options = await command.ExecuteScalarAsync() as string;

        Assert.Equal("fillfactor=70", options);
    }
}
