using Konzen.Privacy.Collection;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Rights;
using Konzen.Privacy.Sharing;
using Konzen.Privacy.Storage;
using Konzen.Privacy.Tests.Notices;
using Microsoft.Extensions.DependencyInjection;

namespace Konzen.Privacy.Tests.Sharing;

/// <summary>Personalized or generic advertising (S4.5), decided from the real consent ledger, vault and location points.</summary>
public sealed class AdDecisionsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<AdDecision> DecideAsync(NoticesBed bed, EventActor actor, bool gpc = false) =>
        bed.RunAsync(s => s.GetRequiredService<AdDecisions>().DecideAsync(actor, gpc, Ct).AsTask());

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decide_ConsentedAdult_PersonalizedWithAgeBandAndCityOnly(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct, email: "ads@example.cn", birthDate: "1990-05-17");
        await bed.ConsentAsync(subject, LocationIntake.Purpose, true, Ct);
        var recorded = await bed.RunAsync(s => s.GetRequiredService<LocationIntake>().RecordAsync(
            subject, new LocationReport(39.91234, 116.40456, 12, LocationSource.Gps, true, NoticesBed.Start.AddMinutes(-1)), "test", Ct));
        Assert.Equal(LocationRefusal.None, recorded.Refusal);
        await bed.ConsentAsync(subject, AdDecisions.Purpose, true, Ct);

        var decision = await DecideAsync(bed, EventActor.Subject(subject));

        Assert.Equal(AdMode.Personalized, decision.Mode);
        Assert.Equal(["age:30-39", "city:39.9,116.4"], decision.Segments);

        // Once the subject deletes its location history, no segment is derived from it any more.
        await bed.RunAsync(s => s.GetRequiredService<Deletions>().DeleteAsync(subject, Deletions.LocationHistory, Ct));
        Assert.Equal(["age:30-39"], (await DecideAsync(bed, EventActor.Subject(subject))).Segments);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decide_RightAfterAWithdrawal_Generic(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct);
        await bed.ConsentAsync(subject, AdDecisions.Purpose, true, Ct);
        Assert.Equal(AdMode.Personalized, (await DecideAsync(bed, EventActor.Subject(subject))).Mode);

        await bed.ConsentAsync(subject, AdDecisions.Purpose, false, Ct);
        var decision = await DecideAsync(bed, EventActor.Subject(subject));

        // The segments were cached with the first decision; the withdrawal still holds at once.
        Assert.Equal(AdDecision.Generic(AdReason.NotConsented), decision with { Segments = [] });
        Assert.Empty(decision.Segments);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decide_Visitor_GenericUntilConsentedAndWithGpc(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var refused = await bed.RunAsync(s => s.GetRequiredService<ConsentLedger>().RecordVisitorChoiceAsync(
            null, new Dictionary<string, bool> { [AdDecisions.Purpose] = false }, ConsentSet.None, null, Ct));
        var granted = await bed.RunAsync(s => s.GetRequiredService<ConsentLedger>().RecordVisitorChoiceAsync(
            null, new Dictionary<string, bool> { [AdDecisions.Purpose] = true }, ConsentSet.None, null, Ct));

        Assert.Equal(AdReason.NotConsented, (await DecideAsync(bed, EventActor.Visitor(refused.VisitorId))).Reason);
        Assert.Equal(AdMode.Generic, (await DecideAsync(bed, EventActor.Visitor(Guid.NewGuid()))).Mode);
        Assert.Equal(AdMode.Generic, (await DecideAsync(bed, EventActor.Anonymous)).Mode);
        var consented = await DecideAsync(bed, EventActor.Visitor(granted.VisitorId));
        Assert.Equal((AdMode.Personalized, 0), (consented.Mode, consented.Segments.Count));
        Assert.Equal(AdReason.GlobalPrivacyControl, (await DecideAsync(bed, EventActor.Visitor(granted.VisitorId), gpc: true)).Reason);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decide_ConsentedSubjectSendingGpc_Generic(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var subject = await bed.AddSubjectAsync(Ct);
        await bed.ConsentAsync(subject, AdDecisions.Purpose, true, Ct);

        var decision = await DecideAsync(bed, EventActor.Subject(subject), gpc: true);

        Assert.Equal((AdMode.Generic, AdReason.GlobalPrivacyControl, 0), (decision.Mode, decision.Reason, decision.Segments.Count));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    [Trait("Clause", "S4.5")]
    public async Task Decide_MinorWithAConsentOnRecord_Generic(DatabaseProvider provider)
    {
        await using var bed = await NoticesBed.CreateAsync(provider, Ct);
        var minor = await bed.AddSubjectAsync(Ct, birthDate: "2010-03-03");

        // However the grant got into the ledger, the decision still applies the rule for minors.
        await bed.ConsentAsync(minor, AdDecisions.Purpose, true, Ct);
        var decision = await DecideAsync(bed, EventActor.Subject(minor));

        Assert.Equal((AdMode.Generic, AdReason.Minor, 0), (decision.Mode, decision.Reason, decision.Segments.Count));
    }
}
