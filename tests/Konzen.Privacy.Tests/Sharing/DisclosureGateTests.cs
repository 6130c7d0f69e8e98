using System.Runtime.Versioning;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Collection;
using Microsoft.Extensions.DependencyInjection;
using static Konzen.Privacy.Tests.Sharing.SharingBed;

namespace Konzen.Privacy.Tests.Sharing;

// Key files are protected by Unix file modes; the service runs on Linux.
[UnsupportedOSPlatform("windows")]
public sealed class DisclosureGateTests
{
    private static readonly string[] Device = ["user.device", "user.behavior.clicks"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.1")]
    [Trait("Clause", "S6.1")]
    public async Task Consent_EverySubjectConsented_StoresOneDisclosureAuditedAndInTheExportOfEachSubjectTouchedOnly(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await ProcessorAsync(bed);
        var first = await bed.NewSubjectAsync(AdPerformance);
        var second = await bed.NewSubjectAsync(AdPerformance);
        var untouched = await bed.NewSubjectAsync(AdPerformance);
        var request = Request("acme-measure", DisclosureBasis.Consent, AdPerformance, Device, [first, second]) with { Sha256 = [.. Enumerable.Range(1, 32).Select(i => (byte)i)] };

        var decision = await DiscloseAsync(bed, request);

        Assert.True(decision.Allowed, decision.Detail);
        Assert.Equal(("S5.1", DisclosureRefusal.None), (decision.Clause, decision.Refusal));
        Assert.Equal("recipients 1, agreements 1, disclosures 1, links 2, authorizations 0, notices 0, public consents 0, legal requests 0, deletion notices 0", await CountsAsync(bed));
        var made = Assert.Single(await AuditAsync(bed, "disclosure.made"));
        Assert.Contains($"disclosure {decision.DisclosureId}; recipient acme-measure; basis consent; categories user.device,user.behavior.clicks; subjects 2; sha256 0102", made.Detail, StringComparison.Ordinal);
        foreach (var subject in new[] { first, second })
        {
            var exported = Assert.Single(await ExportedAsync(bed, subject));
            Assert.Equal((decision.DisclosureId!.Value, "acme-measure", "Recipient acme-measure", DisclosureBasis.Consent, AdPerformance, 2),
                (exported.Id, exported.RecipientId, exported.RecipientName, exported.Basis, exported.Purpose, exported.SubjectCount));
            Assert.Equal(Device, exported.Categories);
            Assert.Equal(Convert.ToHexStringLower(request.Sha256), exported.Sha256);
        }

        Assert.Empty(await ExportedAsync(bed, untouched));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.1")]
    public async Task Consent_OneSubjectNotConsented_RefusedWithOnlyTheRefusalAudited(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await ProcessorAsync(bed);
        var consented = await bed.NewSubjectAsync(AdPerformance);
        var refused = await bed.NewSubjectAsync();
        var before = await CountsAsync(bed);

        var decision = await DiscloseAsync(bed, Request("acme-measure", DisclosureBasis.Consent, AdPerformance, Device, [consented, refused]));

        Assert.Equal((false, DisclosureRefusal.NotConsented, "S5.1", (Guid?)null), (decision.Allowed, decision.Refusal, decision.Clause, decision.DisclosureId));
        Assert.Equal(before, await CountsAsync(bed));
        Assert.Contains("refused NotConsented", Assert.Single(await AuditAsync(bed, "disclosure.refused")).Detail, StringComparison.Ordinal);
        Assert.Empty(await AuditAsync(bed, "disclosure.made"));
        Assert.Empty(await ExportedAsync(bed, consented));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.3")]
    public async Task Identifying_ConsentToThePurposeWithoutAuthorization_RefusedUntilAuthorizedAndAgainAtOnceAfterRevocation(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await RecipientAsync(bed, "survey-co", RecipientKind.Processor, null, ["user.contact.email"], ["functional.service.surveys"]);
        var subject = await bed.NewSubjectAsync("functional.service.surveys");
        var consent = Request("survey-co", DisclosureBasis.Consent, "functional.service.surveys", ["user.contact.email"], [subject]);
        var explicitly = consent with { Basis = DisclosureBasis.ExplicitAuthorization };

        var purposeOnly = await DiscloseAsync(bed, consent);
        var granted = await WithAsync(bed, s => s.GetRequiredService<IdentifyingAuthorizations>().GrantAsync(subject, "survey-co", ["user.contact.email"], Ct));
        var authorized = await DiscloseAsync(bed, explicitly);
        var authorizedWithConsent = await DiscloseAsync(bed, consent);
        await WithAsync(bed, s => s.GetRequiredService<IdentifyingAuthorizations>().RevokeAsync(subject, "survey-co", Ct));
        var revoked = await DiscloseAsync(bed, explicitly);

        Assert.Equal((false, DisclosureRefusal.NotAuthorized, "S5.3"), (purposeOnly.Allowed, purposeOnly.Refusal, purposeOnly.Clause));
        Assert.True(granted.Succeeded);
        Assert.True(authorized.Allowed, authorized.Detail);
        Assert.Equal("S5.3", authorized.Clause);
        Assert.True(authorizedWithConsent.Allowed, authorizedWithConsent.Detail);
        Assert.Equal((false, DisclosureRefusal.NotAuthorized), (revoked.Allowed, revoked.Refusal));
        Assert.Equal(2, (await ExportedAsync(bed, subject)).Count);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.3")]
    public async Task Authorization_NeverConsentsToAPurpose_AndAnotherRecipientStaysRefused(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await RecipientAsync(bed, "survey-co", RecipientKind.Processor, null, ["user.contact.email"], ["functional.service.surveys"]);
        await RecipientAsync(bed, "other-co", RecipientKind.Processor, null, ["user.contact.email"], ["functional.service.surveys"]);
        var subject = await bed.NewSubjectAsync();
        var granted = await WithAsync(bed, s => s.GetRequiredService<IdentifyingAuthorizations>().GrantAsync(subject, "survey-co", ["user.contact.email"], Ct));

        var withoutPurposeConsent = await DiscloseAsync(bed, Request("survey-co", DisclosureBasis.ExplicitAuthorization, "functional.service.surveys", ["user.contact.email"], [subject]));
        var otherRecipient = await DiscloseAsync(bed, Request("other-co", DisclosureBasis.ExplicitAuthorization, "functional.service.surveys", ["user.contact.email"], [subject]));
        var decision = await WithAsync(bed, s => s.GetRequiredService<Konzen.Privacy.Consent.ConsentLedger>().GetStateAsync(subject, Ct).AsTask());

        Assert.True(granted.Succeeded);
        Assert.Equal(DisclosureRefusal.NotConsented, withoutPurposeConsent.Refusal);
        Assert.Equal(DisclosureRefusal.NotAuthorized, otherRecipient.Refusal);
        Assert.Equal(0UL, decision.Consents.Bits);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.1")]
    public async Task DeIdentified_EachRuleThatFails_RefusesAndAllHolding_Allows(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await RecipientAsync(bed, "acme-ads", RecipientKind.Advertiser, "advertisers", Device, [AdPerformance]);
        await ProcessorAsync(bed);
        var adults = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var subject = await bed.NewSubjectAsync(AdPerformance);
            await BornAsync(bed, subject);
            adults.Add(subject);
        }

        var minor = await bed.NewSubjectAsync(AdPerformance);
        await BornAsync(bed, minor, "2012-03-04");
        var unknownAge = await bed.NewSubjectAsync(AdPerformance);
        var notConsented = await bed.NewSubjectAsync();
        await BornAsync(bed, notConsented);
        var good = Request("acme-ads", DisclosureBasis.DeIdentified, AdPerformance, Device, adults, k: 10);

        var smallK = await DiscloseAsync(bed, good with { KReached = 9 });
        var noK = await DiscloseAsync(bed, good with { KReached = null });
        var withMinor = await DiscloseAsync(bed, good with { SubjectIds = [.. adults, minor] });
        var withUnknownAge = await DiscloseAsync(bed, good with { SubjectIds = [.. adults, unknownAge] });
        var withoutConsent = await DiscloseAsync(bed, good with { SubjectIds = [.. adults, notConsented] });
        var notInClass = await DiscloseAsync(bed, good with { Categories = ["user.location.precise"] });
        var toProcessor = await DiscloseAsync(bed, good with { RecipientId = "acme-measure" });
        var allowed = await DiscloseAsync(bed, good);

        Assert.Equal(DisclosureRefusal.KTooSmall, smallK.Refusal);
        Assert.Equal(DisclosureRefusal.KTooSmall, noK.Refusal);
        Assert.Equal((DisclosureRefusal.MinorIncluded, "S5.2"), (withMinor.Refusal, withMinor.Clause));
        Assert.Equal(DisclosureRefusal.MinorIncluded, withUnknownAge.Refusal);
        Assert.Equal(DisclosureRefusal.NotConsented, withoutConsent.Refusal);
        Assert.Equal(DisclosureRefusal.CategoryNotAgreed, notInClass.Refusal);
        Assert.Equal(DisclosureRefusal.InvalidRequest, toProcessor.Refusal);
        Assert.True(allowed.Allowed, allowed.Detail);
        Assert.Equal(10, Assert.Single(await ExportedAsync(bed, adults[0])).K);
        Assert.Empty(await ExportedAsync(bed, minor));
        Assert.Equal(7, (await AuditAsync(bed, "disclosure.refused")).Count);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.2")]
    public async Task Agreement_ExpiredOrMissing_StopsEveryDisclosureToTheRecipient(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await ProcessorAsync(bed, "short-term", agreementDays: 30);
        await ProcessorAsync(bed, "never-signed", agreementDays: null);
        var subject = await bed.NewSubjectAsync(AdPerformance);
        var request = Request("short-term", DisclosureBasis.Consent, AdPerformance, Device, [subject]);

        var whileValid = await DiscloseAsync(bed, request);
        bed.Time.Advance(TimeSpan.FromDays(31));
        var before = await CountsAsync(bed);
        var expired = await DiscloseAsync(bed, request);
        var missing = await DiscloseAsync(bed, request with { RecipientId = "never-signed" });

        Assert.True(whileValid.Allowed, whileValid.Detail);
        Assert.Equal((false, DisclosureRefusal.NoValidAgreement), (expired.Allowed, expired.Refusal));
        Assert.Equal((false, DisclosureRefusal.NoValidAgreement), (missing.Allowed, missing.Refusal));
        Assert.Equal(before, await CountsAsync(bed));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S2.4")]
    public async Task Region_RecipientOutsideTheSubjectsRegion_RefusedAsTheTransferGateDeclaresNoTransfer(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await ProcessorAsync(bed, "overseas", region: "US");
        var subject = await bed.NewSubjectAsync(AdPerformance);
        var before = await CountsAsync(bed);

        var decision = await DiscloseAsync(bed, Request("overseas", DisclosureBasis.Consent, AdPerformance, Device, [subject]));

        Assert.Equal((false, DisclosureRefusal.OutOfRegion, "S2.4"), (decision.Allowed, decision.Refusal, decision.Clause));
        Assert.Contains("NotDeclared", decision.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await CountsAsync(bed));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.4")]
    public async Task PublicDisclosure_NeedsSeparateConsentNamingTheNoticeHash_AndWithdrawalStopsIt(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await RecipientAsync(bed, "press", RecipientKind.Processor, null, ["user.location.precise", "user.device"], [AdPerformance]);
        var subject = await bed.NewSubjectAsync(AdPerformance);
        var other = await bed.NewSubjectAsync(AdPerformance);
        var created = await WithAsync(bed, s => s.GetRequiredService<PublicDisclosures>().CreateNoticeAsync(
            new LocalizedText("a public map of outages", "公开的故障地图"), ["user.location.precise", "user.device"], Filer, Ct));
        var notice = created.Value!;
        var request = Request("press", DisclosureBasis.PublicDisclosure, AdPerformance, ["user.device"], [subject], noticeId: notice.Id);

        var beforeConsent = await DiscloseAsync(bed, request);
        var wrongHash = await WithAsync(bed, s => s.GetRequiredService<PublicDisclosures>().RecordAsync(subject, notice.Id, true, new string('0', 64), Ct));
        var counts = await CountsAsync(bed);
        var consented = await WithAsync(bed, s => s.GetRequiredService<PublicDisclosures>().RecordAsync(subject, notice.Id, true, notice.HashZhCn, Ct));
        var allowed = await DiscloseAsync(bed, request);
        var otherRefused = await DiscloseAsync(bed, request with { SubjectIds = [subject, other] });
        await WithAsync(bed, s => s.GetRequiredService<PublicDisclosures>().RecordAsync(subject, notice.Id, false, null, Ct));
        var withdrawn = await DiscloseAsync(bed, request);

        Assert.Contains("Sensitive personal information among them: precise geographic location\n", notice.TextEn, StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(notice.TextEn))), notice.HashEn);
        Assert.Equal(DisclosureRefusal.NoPublicDisclosureConsent, beforeConsent.Refusal);
        Assert.Equal(SharingProblem.Conflict, wrongHash.Problem);
        Assert.Equal("notices 1, public consents 0", string.Join(", ", counts.Split(", ").Where(c => c.StartsWith("notices", StringComparison.Ordinal) || c.StartsWith("public", StringComparison.Ordinal))));
        Assert.Equal("zh-CN", consented.Value!.Language);
        Assert.True(allowed.Allowed, allowed.Detail);
        Assert.Equal("S5.4", allowed.Clause);
        Assert.Equal(DisclosureRefusal.NoPublicDisclosureConsent, otherRefused.Refusal);
        Assert.Equal(DisclosureRefusal.NoPublicDisclosureConsent, withdrawn.Refusal);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.6")]
    public async Task LegalException_WithoutASecondApprover_RefusedAndWithOne_DisclosedOnceLoggedAndCounted(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await RecipientAsync(bed, "city-police", RecipientKind.Authority, null, ["user.contact.email"], ["essential.service"], agreementDays: null);
        var subject = await bed.NewSubjectAsync();
        await WriteEmailAsync(bed, subject, "suspect@example.cn");
        var filed = await WithAsync(bed, s => s.GetRequiredService<LegalRequests>().FileAsync(new LegalRequestDraft(
            "criminal-justice", "City Public Security Bureau", "PSB-2026-0042", "city-police", [subject], ["user.contact.email"], "investigation of a fraud case"), Filer, Ct));
        var id = filed.Value!.Id;
        var request = Request("city-police", DisclosureBasis.LegalException, "criminal-justice", ["user.contact.email"], [subject], legalRequestId: id);

        var pending = await DiscloseAsync(bed, request);
        var selfApproved = await WithAsync(bed, s => s.GetRequiredService<LegalRequests>().DecideAsync(id, true, null, Filer, Ct));
        var stillPending = await DiscloseAsync(bed, request);
        var approved = await WithAsync(bed, s => s.GetRequiredService<LegalRequests>().DecideAsync(id, true, "warrant checked", SecondStaff, Ct));
        var wrongBasis = await DiscloseAsync(bed, request with { Purpose = "national-security" });
        var disclosed = await DiscloseAsync(bed, request);
        var again = await DiscloseAsync(bed, request);
        var report = await WithAsync(bed, s => s.GetRequiredService<LegalRequests>().TransparencyAsync(bed.Time.GetUtcNow().AddDays(-1), bed.Time.GetUtcNow().AddDays(1), Ct));
        var before = await WithAsync(bed, s => s.GetRequiredService<LegalRequests>().TransparencyAsync(bed.Time.GetUtcNow().AddDays(-2), bed.Time.GetUtcNow().AddDays(-1), Ct));

        Assert.Equal((false, DisclosureRefusal.LegalRequestNotApproved, "S5.6"), (pending.Allowed, pending.Refusal, pending.Clause));
        Assert.Equal(SharingProblem.SameStaffMember, selfApproved.Problem);
        Assert.Equal(DisclosureRefusal.LegalRequestNotApproved, stillPending.Refusal);
        Assert.True(approved.Succeeded);
        Assert.Equal(DisclosureRefusal.LegalRequestNotApproved, wrongBasis.Refusal);
        Assert.True(disclosed.Allowed, disclosed.Detail);
        Assert.Equal(DisclosureRefusal.LegalRequestNotApproved, again.Refusal);
        Assert.Equal(LegalRequestStatus.Disclosed, (await WithAsync(bed, s => s.GetRequiredService<LegalRequests>().FindAsync(id, Ct)))!.Status);
        Assert.Single(await AuditAsync(bed, "legal-request.filed"));
        Assert.Equal(SecondStaff, Assert.Single(await AuditAsync(bed, "legal-request.approved")).Actor);
        Assert.Contains($"legal request {id}", Assert.Single(await AuditAsync(bed, "disclosure.made")).Detail, StringComparison.Ordinal);
        Assert.Equal(1, report.Disclosures);
        Assert.Equal(1, report.ByBasis["legal-exception"]);
        Assert.Equal(0, report.ByBasis["consent"]);
        Assert.Equal(1, report.LegalExceptionsByLegalBasis["criminal-justice"]);
        Assert.Equal(6, report.LegalExceptionsByLegalBasis.Count);
        Assert.Equal((1, 0), (report.LegalRequestsFiled, report.LegalRequestsRejected));
        Assert.Equal((0, 0, 0), (before.Disclosures, before.LegalExceptionsByLegalBasis["criminal-justice"], before.LegalRequestsFiled));
        Assert.Equal(DisclosureBasis.LegalException, Assert.Single(await ExportedAsync(bed, subject)).Basis);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S5.1")]
    public async Task BadInput_UnknownOrMalformed_RefusedAndTheStoreUnchanged(DatabaseProvider provider)
    {
        await using var bed = await EventBed.StartAsync(provider);
        await ProcessorAsync(bed);
        var subject = await bed.NewSubjectAsync(AdPerformance);
        var good = Request("acme-measure", DisclosureBasis.Consent, AdPerformance, Device, [subject]);
        var before = await CountsAsync(bed);

        DisclosureRequest[] bad =
        [
            good with { RecipientId = "nobody" },
            good with { Categories = ["user.shoe_size"] },
            good with { Purpose = "selling.lists" },
            good with { SubjectIds = [] },
            good with { SubjectIds = [Guid.NewGuid()] },
            good with { Sha256 = new byte[5] },
            good with { Basis = (DisclosureBasis)42 },
            good with { Categories = ["user.contact.email"] },
        ];
        var refusals = new List<DisclosureRefusal>();
        foreach (var request in bad)
        {
            refusals.Add((await DiscloseAsync(bed, request)).Refusal);
        }

        var recipientOutcome = await WithAsync(bed, s => s.GetRequiredService<Recipients>().SaveAsync(
            "acme-ads", new RecipientDraft("Acme", RecipientKind.Advertiser, "advertisers", "CN", ["user.contact.email"], [AdPerformance], null), Filer, Ct));
        var unknownClass = await WithAsync(bed, s => s.GetRequiredService<Recipients>().SaveAsync(
            "acme-ads", new RecipientDraft("Acme", RecipientKind.Advertiser, "brokers", "CN", ["user.device"], [AdPerformance], null), Filer, Ct));
        var badAgreement = await WithAsync(bed, s => s.GetRequiredService<Recipients>().AddAgreementAsync(
            "acme-measure", new AgreementDraft("handshake", "", bed.Time.GetUtcNow(), bed.Time.GetUtcNow().AddDays(-1)), Filer, Ct));

        Assert.Equal(
            [DisclosureRefusal.UnknownRecipient, DisclosureRefusal.InvalidRequest, DisclosureRefusal.InvalidRequest, DisclosureRefusal.InvalidRequest,
             DisclosureRefusal.InvalidRequest, DisclosureRefusal.InvalidRequest, DisclosureRefusal.InvalidRequest, DisclosureRefusal.CategoryNotAgreed],
            refusals);
        Assert.Equal(SharingProblem.Invalid, recipientOutcome.Outcome.Problem);
        Assert.Contains("categories", recipientOutcome.Outcome.Errors!.Keys);
        Assert.Contains("policyClass", unknownClass.Outcome.Errors!.Keys);
        Assert.Equal(["expiresAt", "kind", "reference"], badAgreement.Errors!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(before, await CountsAsync(bed));
        Assert.Equal(bad.Length, (await AuditAsync(bed, "disclosure.refused")).Count);
    }
}
