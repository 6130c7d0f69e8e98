using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Konzen.Privacy.Storage;

/// <summary>
/// Inserts many rows of one entity in multi-row INSERT statements inside the context's current
/// transaction, bypassing the change tracker: tens of thousands of audit entries or disclosure links
/// would otherwise cost a tracked entity and a statement batch each. Every mapped column is written.
/// </summary>
internal static class BulkInsert
{
    // Parameters per statement: SQLite finds a named parameter by a linear search, so a statement of
    // thousands of parameters costs millions of steps; a few hundred keeps both providers fast.
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
}
