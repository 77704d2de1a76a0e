using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Tally.Storage;

/// <summary>Runs <see cref="TallyDatabase.SqlitePragmas"/> on connections EF opens.</summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    public static readonly SqlitePragmaInterceptor Instance = new();

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = TallyDatabase.SqlitePragmas;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = TallyDatabase.SqlitePragmas;
        command.ExecuteNonQuery();
    }
}
