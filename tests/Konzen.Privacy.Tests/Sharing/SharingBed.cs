using Konzen.Privacy.Audit;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Subjects;
using Konzen.Privacy.Tests.Collection;
using Konzen.Privacy.Vault;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Sharing;

/// <summary>Helpers for sharing tests over an <see cref="EventBed"/>: recipients with agreements, adults and minors, disclosures, row counts.</summary>
internal static class SharingBed
{
    public const string Filer = "staff:ana";
    public const string SecondStaff = "staff:bo";
    public const string AdPerformance = "analytics.reporting.ad_performance";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<T> WithAsync<T>(EventBed bed, Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = bed.Services.CreateScope();
        return await action(scope.ServiceProvider);
    }

    /// <summary>Saves a recipient and, unless <paramref name="agreementDays"/> is null, an agreement signed a day ago that expires after that many days.</summary>
    public static async Task<Recipient> RecipientAsync(
        EventBed bed, string id, RecipientKind kind, string? policyClass, string[] categories, string[] purposes, int? agreementDays = 365, string region = "CN")
    {
        var (outcome, created) = await WithAsync(bed, s => s.GetRequiredService<Recipients>()
            .SaveAsync(id, new RecipientDraft($"Recipient {id}", kind, policyClass, region, categories, purposes, "privacy@recipient.example"), Filer, Ct));
        Assert.True(outcome.Succeeded, outcome.Detail);
        Assert.True(created);
        if (agreementDays is { } days)
        {
            var now = bed.Time.GetUtcNow();
            var agreement = await WithAsync(bed, s => s.GetRequiredService<Recipients>().AddAgreementAsync(
                id, new AgreementDraft(RecipientAgreement.DataProcessingAgreement, $"DPA-{id}", now.AddDays(-1), now.AddDays(days)), Filer, Ct));
            Assert.True(agreement.Succeeded, agreement.Detail);
        }

        return outcome.Value!;
    }

    /// <summary>A processor agreed to receive device data for ad measurement.</summary>
    public static Task<Recipient> ProcessorAsync(EventBed bed, string id = "acme-measure", int? agreementDays = 365, string region = "CN") =>
        RecipientAsync(bed, id, RecipientKind.Processor, null, ["user.device", "user.behavior.clicks"], [AdPerformance], agreementDays, region);

    /// <summary>Gives the subject a birth date, so the minor check can read its age.</summary>
    public static async Task BornAsync(EventBed bed, Guid subjectId, string birthDate = "1990-05-17")
    {
        await using var scope = bed.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        Assert.Equal(VaultWrite.Written, await scope.ServiceProvider.GetRequiredService<PersonalDataVault>().WriteAsync(db, subjectId, SubjectRegistration.BirthDateField, birthDate, "test", Ct));
    }

    public static async Task WriteEmailAsync(EventBed bed, Guid subjectId, string email)
    {
        await using var scope = bed.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PrivacyDbContext>();
        Assert.Equal(VaultWrite.Written, await scope.ServiceProvider.GetRequiredService<PersonalDataVault>().WriteAsync(db, subjectId, PersonalDataVault.EmailField, email, "test", Ct));
    }

    public static DisclosureRequest Request(
        string recipient, DisclosureBasis basis, string purpose, string[] categories, IReadOnlyCollection<Guid> subjects,
        int? k = null, Guid? legalRequestId = null, Guid? noticeId = null) =>
        new(recipient, basis, purpose, categories, subjects, new byte[32], k, legalRequestId, noticeId, Filer);

    public static Task<DisclosureDecision> DiscloseAsync(EventBed bed, DisclosureRequest request) =>
        WithAsync(bed, s => s.GetRequiredService<DisclosureGate>().DiscloseAsync(request, Ct));

    /// <summary>Row counts of every sharing table.</summary>
    public static async Task<string> CountsAsync(EventBed bed)
    {
        await using var db = bed.Store.NewDataContext();
        return string.Join(", ",
            $"recipients {await db.Set<Recipient>().CountAsync(Ct)}",
            $"agreements {await db.Set<RecipientAgreement>().CountAsync(Ct)}",
            $"disclosures {await db.Set<Disclosure>().CountAsync(Ct)}",
            $"links {await db.Set<DisclosureSubject>().CountAsync(Ct)}",
            $"authorizations {await db.Set<IdentifyingAuthorization>().CountAsync(Ct)}",
            $"notices {await db.Set<PublicDisclosureNotice>().CountAsync(Ct)}",
            $"public consents {await db.Set<PublicDisclosureConsent>().CountAsync(Ct)}",
            $"legal requests {await db.Set<LegalRequest>().CountAsync(Ct)}",
            $"deletion notices {await db.Set<RecipientDeletionNotice>().CountAsync(Ct)}");
    }

    /// <summary>The audit entries with this action, oldest first.</summary>
    public static async Task<List<AuditEntry>> AuditAsync(EventBed bed, string action)
    {
        await using var db = bed.Store.NewDataContext();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Action == action).OrderBy(e => e.Sequence).ToListAsync(Ct);
    }

    public static Task<IReadOnlyList<Konzen.Privacy.Rights.ExportDisclosure>> ExportedAsync(EventBed bed, Guid subjectId) =>
        WithAsync(bed, s => s.GetRequiredService<Konzen.Privacy.Rights.DataExport>().DisclosuresAsync(subjectId, Ct));
}
