namespace Tally.Storage;

public enum DatabaseEngine
{
    Sqlite,
    Postgres,
}
