using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Storage;
using Microsoft.EntityFrameworkCore;

namespace Konzen.Privacy.Staff;

/// <summary>Why a staff change was refused.</summary>
public enum StaffRefusal
{
    None,
    InvalidName,
    NameTaken,
    UnknownMember,
}

/// <summary>The outcome of adding a member: the token, shown once and never stored; or the refusal.</summary>
public sealed record StaffAdded(StaffRefusal Refusal, StaffMember? Member = null, string? Token = null);

/// <summary>
/// The staff who may use the admin endpoints, and their bearer tokens: <c>kzs_</c> and the base64url
/// form of 256 random bits. A token is checked by looking up its SHA-256, so no comparison of secret
/// bytes happens in code whose timing could be measured, and the store holds nothing that signs in.
/// </summary>
public sealed partial class StaffDirectory(PrivacyDbContext db, AuditLog audit, TimeProvider time)
{
    public const string TokenPrefix = "kzs_";

    private const int TokenBytes = 32;
    private static readonly int TokenLength = TokenPrefix.Length + Base64Url.GetEncodedLength(TokenBytes);

    /// <summary>The actor staff member <paramref name="name"/> acts as in audit entries.</summary>
    public static string ActorOf(string name) => $"staff:{name}";

    /// <summary>Adds a member with a new token; <paramref name="actor"/> is who adds it, for the audit entry.</summary>
    public async Task<StaffAdded> AddAsync(string name, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!ValidName().IsMatch(name))
        {
            return new StaffAdded(StaffRefusal.InvalidName);
        }

        if (await db.Set<StaffMember>().AnyAsync(s => s.Name == name, cancellationToken))
        {
            return new StaffAdded(StaffRefusal.NameTaken);
        }

        var secret = RandomNumberGenerator.GetBytes(TokenBytes);
        var member = new StaffMember
        {
            Id = Guid.CreateVersion7(),
            Name = name,
            TokenHash = SHA256.HashData(secret),
            CreatedAt = time.GetUtcNow(),
        };
        db.Set<StaffMember>().Add(member);
        await audit.SaveChangesAsync(db, new AuditRecord(actor, "staff.added", Detail: ActorOf(name)), cancellationToken);
        return new StaffAdded(StaffRefusal.None, member, TokenPrefix + Base64Url.EncodeToString(secret));
    }

    /// <summary>Stops a member's token from working; the member stays listed, as the audit trail names it.</summary>
    public async Task<StaffRefusal> DisableAsync(string name, string actor, CancellationToken cancellationToken = default)
    {
        var member = await db.Set<StaffMember>().SingleOrDefaultAsync(s => s.Name == name, cancellationToken);
        if (member is null)
        {
            return StaffRefusal.UnknownMember;
        }

        if (member.DisabledAt is null)
        {
            member.DisabledAt = time.GetUtcNow();
            await audit.SaveChangesAsync(db, new AuditRecord(actor, "staff.disabled", Detail: ActorOf(name)), cancellationToken);
        }

        return StaffRefusal.None;
    }

    /// <summary>Every member, by name.</summary>
    public async Task<IReadOnlyList<StaffMember>> ListAsync(CancellationToken cancellationToken = default) =>
        await db.Set<StaffMember>().AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken);

    /// <summary>The enabled member whose token this is, or null for anything else.</summary>
    public async Task<StaffMember?> AuthenticateAsync(string token, CancellationToken cancellationToken = default)
    {
        if (HashOf(token) is not { } hash)
        {
            return null;
        }

        return await db.Set<StaffMember>().AsNoTracking()
            .SingleOrDefaultAsync(s => s.TokenHash == hash && s.DisabledAt == null, cancellationToken);
    }

    /// <summary>Whether <paramref name="token"/> has the shape of a staff token (it may still be wrong).</summary>
    public static bool LooksLikeToken(string? token) => token is not null && token.StartsWith(TokenPrefix, StringComparison.Ordinal);

    private static byte[]? HashOf(string? token)
    {
        if (token is null || token.Length != TokenLength || !LooksLikeToken(token))
        {
            return null;
        }

        Span<byte> secret = stackalloc byte[TokenBytes];
        return Base64Url.TryDecodeFromChars(token.AsSpan(TokenPrefix.Length), secret, out var written) && written == TokenBytes
            ? SHA256.HashData(secret)
            : null;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();
}
