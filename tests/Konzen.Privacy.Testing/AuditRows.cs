using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Testing;

/// <summary>Writes audit entries the way product code does, and tampers with them the way an intruder would.</summary>
public static class AuditRows
{
    /// <summary>One record per call, each with its own detail so that a lost entry shows.</summary>
    public static AuditRecord Record(int n) =>
        new("staff:ana", "field.read", Guid.Parse("0b7e4c1a-3f5d-4a8e-9c2b-6d1f0e9a8b7c"), "user.contact.email", "support.tickets", $"ticket {n}");

    /// <summary>Appends <paramref name="count"/> entries, each in a transaction of its own, as separate requests would.</summary>
    public static async Task AppendAsync(TestStore store, AuditLog log, int count, CancellationToken cancellationToken)
    {
        for (var n = 1; n <= count; n++)
        {
            await using var db = store.NewDataContext();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await log.AppendAsync(db, Record(n), cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>Sets one text column of one entry by raw SQL, behind the application's back.</summary>
    public static Task<int> SetTextAsync(PrivacyDbContext db, long sequence, string column, string value, CancellationToken cancellationToken) =>
        column switch
        {
            "Actor" => db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET \"Actor\" = {value} WHERE \"Sequence\" = {sequence}", cancellationToken),
            "Action" => db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET \"Action\" = {value} WHERE \"Sequence\" = {sequence}", cancellationToken),
            "Purpose" => db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET \"Purpose\" = {value} WHERE \"Sequence\" = {sequence}", cancellationToken),
            "Detail" => db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET \"Detail\" = {value} WHERE \"Sequence\" = {sequence}", cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(column), column, "not a text column of audit_entries"),
        };

    /// <summary>Moves one entry's time a little (100 µs on SQLite, whose column holds a packed number; 1 s on PostgreSQL).</summary>
    public static Task<int> ShiftTimeAsync(PrivacyDbContext db, long sequence, CancellationToken cancellationToken) =>
        db.Database.IsSqlite()
            ? db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET \"At\" = \"At\" + 2048 WHERE \"Sequence\" = {sequence}", cancellationToken)
            : db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET \"At\" = \"At\" + interval '1 second' WHERE \"Sequence\" = {sequence}", cancellationToken);

    public static Task<int> SetHashAsync(PrivacyDbContext db, long sequence, byte[] hash, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"UPDATE audit_entries SET \"Hash\" = {hash} WHERE \"Sequence\" = {sequence}", cancellationToken);

    public static Task<int> DeleteAsync(PrivacyDbContext db, long sequence, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"DELETE FROM audit_entries WHERE \"Sequence\" = {sequence}", cancellationToken);
}
