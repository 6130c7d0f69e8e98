using System.Security.Cryptography;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Vault;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Cessation;

/// <summary>
/// Puts many subjects in a store at once, shaped as registration leaves them: a data key wrapped by the
/// master key in the key store, the email address and birth date sealed under it in the vault's layout,
/// and a blind-index value so the outbox picks email. Thousands through the vault one by one would take
/// minutes; this takes seconds and leaves the same rows.
/// </summary>
internal static class Population
{
    public static async Task<List<Guid>> AddAsync(IServiceProvider root, int count, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        await using var scope = root.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        var keyStore = scope.ServiceProvider.GetRequiredService<KeyStoreDbContext>();
        var master = scope.ServiceProvider.GetRequiredService<MasterKeyRing>();
        var ids = new List<Guid>(count);
        var subjects = new List<Subject>(count);
        var fields = new List<PersonalField>(count * 2);
        var keys = new List<SubjectKey>(count);
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            var dataKey = RandomNumberGenerator.GetBytes(FieldCipher.KeySize);
            ids.Add(id);
            subjects.Add(new Subject { Id = id, Region = "CN", CreatedAt = createdAt, AcceptedPolicyHash = new string('a', 64), EmailIndex = RandomNumberGenerator.GetBytes(32) });
            fields.Add(new PersonalField { SubjectId = id, Field = PersonalDataVault.EmailField, Ciphertext = FieldCipher.Encrypt(dataKey, id, PersonalDataVault.EmailField, $"subject{i}@example.cn"), UpdatedAt = createdAt });
            fields.Add(new PersonalField { SubjectId = id, Field = SubjectRegistration.BirthDateField, Ciphertext = FieldCipher.Encrypt(dataKey, id, SubjectRegistration.BirthDateField, "1990-05-17"), UpdatedAt = createdAt });
            keys.Add(new SubjectKey { SubjectId = id, WrappedKey = master.Wrap(id, dataKey, out var masterKeyId), MasterKeyId = masterKeyId, CreatedAt = createdAt });
        }

        foreach (var chunk in keys.Chunk(5_000))
        {
            keyStore.AddRange(chunk);
            await keyStore.SaveChangesAsync(cancellationToken);
            keyStore.ChangeTracker.Clear();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await BulkInsert.InsertAsync(db, subjects, cancellationToken);
        await BulkInsert.InsertAsync(db, fields, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ids;
    }
}
