using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Konzen.Privacy.Storage;

/// <summary>
/// Inserts many rows of one entity in multi-row INSERT statements inside the context's current
/// transaction, bypassing the change tracker: tens of thousands of audit entries or disclosure links
/// would otherwise cost a tracked entity and a statement batch each. Every mapped column is written.
/// </summary>
internal static class BulkInsert
{
    // Parameters per multi-row statement on PostgreSQL, well under its limit of 65,535.
    private const int ParametersPerStatement = 250;

    public static async Task InsertAsync<T>(PrivacyDbContext db, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        var transaction = db.Database.CurrentTransaction
            ?? throw new InvalidOperationException("A bulk insert runs inside the transaction of the change it belongs to.");
        var type = db.Model.FindEntityType(typeof(T))!;
        var sql = db.GetService<ISqlGenerationHelper>();
        IProperty[] properties = [.. type.GetProperties()];
        var rowsPerStatement = Math.Max(1, ParametersPerStatement / properties.Length);
        var columns = string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName())));
        var insert = $"INSERT INTO {sql.DelimitIdentifier(type.GetTableName()!)} ({columns}) VALUES ";
        var connection = db.Database.GetDbConnection();
        if (db.Database.IsSqlite())
        {
            await InsertEachAsync(connection, transaction.GetDbTransaction(), $"{insert}({string.Join(", ", properties.Select((_, i) => $"@p{i}"))})", properties, rows, cancellationToken);
            return;
        }

        for (var start = 0; start < rows.Count; start += rowsPerStatement)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction.GetDbTransaction();
            var text = new StringBuilder(insert);
            for (var row = start; row < Math.Min(rows.Count, start + rowsPerStatement); row++)
            {
                text.Append(row == start ? "(" : ", (");
                for (var column = 0; column < properties.Length; column++)
                {
                    var property = properties[column];
                    var name = string.Create(CultureInfo.InvariantCulture, $"@p{command.Parameters.Count}");
                    command.Parameters.Add(property.GetRelationalTypeMapping().CreateParameter(command, name, property.GetGetter().GetClrValue(rows[row]), property.IsNullable));
                    text.Append(column == 0 ? string.Empty : ", ").Append(name);
                }

                text.Append(')');
            }

            command.CommandText = text.ToString();
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    // SQLite finds each named parameter by a linear search of the statement's names, so a multi-row
    // statement costs quadratically in its parameters (250 of them: about 0.3 s of name comparisons for
    // 20,000 rows). One prepared single-row statement, executed for every row, costs a few microseconds a row.
    private static async Task InsertEachAsync<T>(
        DbConnection connection, DbTransaction transaction, string sql, IProperty[] properties, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        var columns = new (IClrPropertyGetter Getter, ValueConverter? Converter, DbParameter Parameter)[properties.Length];
        for (var i = 0; i < properties.Length; i++)
        {
            var mapping = properties[i].GetRelationalTypeMapping();
            var parameter = mapping.CreateParameter(command, $"@p{i}", null, properties[i].IsNullable);
            command.Parameters.Add(parameter);
            columns[i] = (properties[i].GetGetter(), mapping.Converter, parameter);
        }

        await command.PrepareAsync(cancellationToken);
        foreach (var row in rows)
        {
            foreach (var (getter, converter, parameter) in columns)
            {
                var value = getter.GetClrValue(row);
                parameter.Value = value is null ? DBNull.Value : converter is null ? value : converter.ConvertToProvider(value) ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
