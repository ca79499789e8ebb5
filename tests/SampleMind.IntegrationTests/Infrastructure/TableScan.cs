using SampleMind.Testing;

namespace SampleMind.IntegrationTests.Infrastructure;

/// <summary>Searches a whole database for a piece of text: what an erasure or the PII-at-rest rule must leave nowhere.</summary>
public static class TableScan
{
    /// <summary>
    /// Every table of the database (the project's and Orleans' schemas) searched for <paramref name="text"/> in every
    /// text, JSON, array and binary column (binary as UTF-8): "table.column: N rows" for each column that holds it.
    /// </summary>
    public static async Task<IReadOnlyList<string>> RowsHoldingAsync(PostgresDatabase database, string text)
    {
        var columns = await database.RowsAsync("""
            select format('%I.%I|%I|%s', c.table_schema, c.table_name, c.column_name, c.data_type)
            from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
            where c.table_schema not in ('pg_catalog', 'information_schema')
              and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')
            order by 1
            """);
        Assert.True(columns.Count > 20, $"only {columns.Count} columns to search: the scan would prove little");
        var found = new List<string>();
        foreach (var column in columns)
        {
            var parts = column.Split('|');
            var predicate = parts[2] == "bytea" ? $"position(convert_to(@p, 'UTF8') in {parts[1]}) > 0" : $"position(@p in {parts[1]}::text) > 0";
            var rows = await database.ScalarAsync<long>($"select count(*) from {parts[0]} where {predicate}", ("p", text));
            if (rows > 0)
            {
                found.Add($"{parts[0]}.{parts[1]}: {rows} rows");
            }
        }
        return found;
    }
}
