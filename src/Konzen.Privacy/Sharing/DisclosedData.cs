using System.Text.Json;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Sharing;

/// <summary>
/// Reads the personal fields a pull discloses and writes them as one JSON document, the exact bytes
/// whose SHA-256 the disclosure records. Fields are read through the vault with the disclosure's
/// purpose, so every read is audited and the purpose gate still decides; a legal exception is not a
/// purpose of the policy, so its reads are decrypted here and audited naming the approved request.
/// Categories not held as personal fields (log events, locations) come out as null.
/// </summary>
public sealed class DisclosedData(PrivacyDbContext db, PersonalDataVault vault, ConsentLedger ledger, SubjectKeys keys, AuditLog audit)
{
    public async Task<byte[]> ReadAsync(DisclosureRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("recipient", request.RecipientId);
            json.WriteString("basis", LegalRequests.Name(request.Basis));
            json.WriteString("purpose", request.Purpose);
            json.WriteStartArray("categories");
            foreach (var category in request.Categories)
            {
                json.WriteStringValue(category);
            }

            json.WriteEndArray();
            json.WriteStartArray("subjects");
            foreach (var subjectId in request.SubjectIds.Distinct())
            {
                json.WriteStartObject();
                json.WriteString("subjectId", subjectId);
                json.WriteStartObject("fields");
                foreach (var category in request.Categories.Distinct(StringComparer.Ordinal))
                {
                    json.WriteString(category, await ReadFieldAsync(request, subjectId, category, cancellationToken));
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task<string?> ReadFieldAsync(DisclosureRequest request, Guid subjectId, string category, CancellationToken cancellationToken)
    {
        if (request.Basis != DisclosureBasis.LegalException)
        {
            var state = await ledger.GetStateAsync(subjectId, cancellationToken);
            return (await vault.ReadAsync(db, state, subjectId, category, request.Purpose, request.Actor, cancellationToken)).Value;
        }

        var row = await db.PersonalFields.AsNoTracking().FirstOrDefaultAsync(f => f.SubjectId == subjectId && f.Field == category, cancellationToken);
        var key = row is null ? null : await keys.FindAsync(subjectId, cancellationToken);
        var value = row is null || key is null ? null : FieldCipher.Decrypt(key, subjectId, category, row.Ciphertext);
        await audit.SaveChangesAsync(db, new AuditRecord(request.Actor, "field.read", subjectId, category,
            Detail: $"legal exception {request.Purpose}; legal request {request.LegalRequestId}; {(value is null ? "no value held" : "read")}"), cancellationToken);
        return value;
    }
}
