using System.Text.Json;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Logging;

namespace Konzen.Privacy.Subjects;

/// <summary>Sends a text message to a phone number in E.164. Implementations never log the number or the text.</summary>
public interface ISmsSender
{
    Task SendAsync(string phoneE164, string text, CancellationToken cancellationToken = default);
}

/// <summary>One message in the SMS outbox, sealed: a raw read of the table shows neither number nor text.</summary>
public sealed class SmsOutboxMessage
{
    public Guid Id { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>AES-256-GCM over the number and the text, bound to <see cref="Id"/>.</summary>
    public byte[] Ciphertext { get; set; } = [];
}

internal sealed class SmsOutboxMessageConfiguration : IEntityTypeConfiguration<SmsOutboxMessage>
{
    public void Configure(EntityTypeBuilder<SmsOutboxMessage> builder)
    {
        builder.ToTable("sms_outbox");
        builder.HasKey(m => m.Id);
        builder.HasIndex(m => m.CreatedAt);
    }
}

/// <summary>A message from the outbox as the administrator reads it.</summary>
public sealed record SmsOutboxEntry(Guid Id, DateTimeOffset CreatedAt, string To, string Text);

/// <summary>
/// The default <see cref="ISmsSender"/>: no SMS gateway, messages wait in an outbox table that the
/// administrator reads with <c>konzen sms outbox</c> (and a gateway integration could drain).
/// </summary>
public sealed partial class SmsOutbox(PrivacyDbContext db, SubjectSecrets secrets, TimeProvider time, ILogger<SmsOutbox> logger) : ISmsSender
{
    public async Task SendAsync(string phoneE164, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(phoneE164);
        ArgumentNullException.ThrowIfNull(text);
        var id = Guid.CreateVersion7();
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(new Sealed(phoneE164, text));
        db.Set<SmsOutboxMessage>().Add(new SmsOutboxMessage
        {
            Id = id,
            CreatedAt = time.GetUtcNow(),
            Ciphertext = secrets.SealOutbox(id, plaintext),
        });
        await db.SaveChangesAsync(cancellationToken);
        LogQueued(logger, id);
    }

    /// <summary>The newest messages first, opened.</summary>
    public static async Task<IReadOnlyList<SmsOutboxEntry>> ReadAsync(
        PrivacyDbContext db, SubjectSecrets secrets, int limit = 100, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(secrets);
        var rows = await db.Set<SmsOutboxMessage>().AsNoTracking()
            .OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).Take(limit)
            .ToListAsync(cancellationToken);
        return [.. rows.Select(row =>
        {
            var message = JsonSerializer.Deserialize<Sealed>(secrets.OpenOutbox(row.Id, row.Ciphertext))!;
            return new SmsOutboxEntry(row.Id, row.CreatedAt, message.To, message.Text);
        })];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued text message {MessageId} in the SMS outbox")]
    private static partial void LogQueued(ILogger logger, Guid messageId);

    private sealed record Sealed(string To, string Text);
}
