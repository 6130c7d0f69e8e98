using System.Text.RegularExpressions;
using Konzen.Privacy.Audit;
using Konzen.Privacy.Staff;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Retention;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Staff;

public sealed partial class StaffDirectoryTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.1")]
    public async Task Add_NewName_GivesATokenThatAuthenticatesAndStoresOnlyItsHash(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);

        var added = await WithDirectoryAsync(bed, d => d.AddAsync("ana", "staff:cli", Cancel));

        Assert.Equal(StaffRefusal.None, added.Refusal);
        var token = Assert.IsType<string>(added.Token);
        Assert.Matches(TokenShape(), token);
        var member = Assert.Single(await bed.RowsAsync<StaffMember>(Cancel));
        Assert.Equal(("ana", 32, null), (member.Name, member.TokenHash.Length, member.DisabledAt));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(4))), member.TokenHash);
        Assert.Equal("ana", (await WithDirectoryAsync(bed, d => d.AuthenticateAsync(token, Cancel)))?.Name);
        var audit = Assert.Single(await bed.RowsAsync<AuditEntry>(Cancel));
        Assert.Equal(("staff:cli", "staff.added", "staff:ana"), (audit.Actor, audit.Action, audit.Detail));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S3.1")]
    public async Task Authenticate_WrongMalformedOrDisabledToken_FindsNoOne(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);
        var token = (await WithDirectoryAsync(bed, d => d.AddAsync("ana", "staff:cli", Cancel))).Token!;
        var other = (await WithDirectoryAsync(bed, d => d.AddAsync("bo", "staff:cli", Cancel))).Token!;
        var wrong = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];

        foreach (var candidate in new[] { wrong, token[..^1], token + "A", token[4..], "kzs_", "", "Bearer " + token, token.ToUpperInvariant() })
        {
            Assert.Null(await WithDirectoryAsync(bed, d => d.AuthenticateAsync(candidate, Cancel)));
        }

        Assert.Equal(StaffRefusal.None, await WithDirectoryAsync(bed, d => d.DisableAsync("ana", "staff:cli", Cancel)));
        Assert.Null(await WithDirectoryAsync(bed, d => d.AuthenticateAsync(token, Cancel)));
        Assert.Equal("bo", (await WithDirectoryAsync(bed, d => d.AuthenticateAsync(other, Cancel)))?.Name);
        Assert.Equal(StaffRefusal.UnknownMember, await WithDirectoryAsync(bed, d => d.DisableAsync("nobody", "staff:cli", Cancel)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Add_TakenOrInvalidName_IsRefusedAndStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await RetentionBed.CreateAsync(provider, Cancel);
        await WithDirectoryAsync(bed, d => d.AddAsync("ana", "staff:cli", Cancel));
        var members = (await bed.RowsAsync<StaffMember>(Cancel)).Select(m => (m.Id, m.Name)).ToList();
        var entries = (await bed.RowsAsync<AuditEntry>(Cancel)).Count;

        var refusals = new List<StaffRefusal>();
        foreach (var name in new[] { "ana", "Ana", "", "-ana", "ana bo", "staff:ana", new string('a', 65), "ána" })
        {
            var added = await WithDirectoryAsync(bed, d => d.AddAsync(name, "staff:cli", Cancel));
            Assert.Null(added.Token);
            refusals.Add(added.Refusal);
        }

        Assert.Equal([StaffRefusal.NameTaken, .. Enumerable.Repeat(StaffRefusal.InvalidName, 7)], refusals);
        Assert.Equal(members, (await bed.RowsAsync<StaffMember>(Cancel)).Select(m => (m.Id, m.Name)));
        Assert.Equal(entries, (await bed.RowsAsync<AuditEntry>(Cancel)).Count);
    }

    private static async Task<T> WithDirectoryAsync<T>(RetentionBed bed, Func<StaffDirectory, Task<T>> action)
    {
        await using var scope = bed.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<StaffDirectory>());
    }

    [GeneratedRegex("^kzs_[A-Za-z0-9_-]{43}$")]
    private static partial Regex TokenShape();
}
