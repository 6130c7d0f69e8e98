using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Konzen.Privacy.Sharing;

namespace Konzen.Privacy.Tests.Sharing;

/// <summary>One person of a random population: who they are (never to be seen in a file) and what they did.</summary>
public sealed record Person(Guid Id, string Email, string Phone, int Age, int Place, string Device, int[] Hours, int[] Pages);

/// <summary>A random population of 1 to 150 adults on a few places, devices and pages, so classes both form and fail to form.</summary>
public sealed record Population(Person[] People, int K);

public static class PopulationArbitrary
{
    internal static readonly string[] Places = ["wtw3s", "wtw3e", "wtw37", "wx4g0", "ws0e9", "wm6n2"];
    internal static readonly string[] Devices = ["iPhone 15", "SM-G991B", "Windows NT 10.0", "iPad Pro", "Macintosh", "Pixel 8"];

    public static Arbitrary<Population> Populations() => Arb.From(
        from count in Gen.Choose(1, 150)
        from people in Gen.ArrayOf(PersonGen, count)
        from k in Gen.Elements(2, 5, 10)
        select new Population(people, k));

    private static Gen<Person> PersonGen =>
        from seed in Gen.Choose(0, int.MaxValue)
        from age in Gen.Choose(18, 90)
        from place in Gen.Choose(0, Places.Length - 1)
        from device in Gen.Elements(Devices)
        from events in Gen.Choose(1, 12)
        from hours in Gen.ArrayOf(Gen.Choose(0, 24 * 14), events)
        from pages in Gen.ArrayOf(Gen.Choose(0, 5), events)
        select new Person(
            new Guid(SHA256.HashData(BitConverter.GetBytes(seed))[..16]),
            $"user{seed}@example.com",
            $"+86138{seed % 100_000_000:00000000}",
            age, place, device, hours, pages);
}

/// <summary>
/// Properties of every advertiser file, over random populations (S5.2): every class over the
/// quasi-identifiers holds at least k distinct pseudonyms, no direct identifier or identifying value
/// appears, and two recipients' files share no pseudonym.
/// </summary>
public sealed class DatasetProperties
{
    internal static readonly DateTimeOffset Start = new(2026, 11, 16, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    [Trait("Clause", "S5.2")]
    public void AdvertiserFile_RandomPopulation_IsKAnonymousWithoutIdentifiersAndUnlinkableAcrossRecipients()
    {
        // FsCheck's own runner: FsCheck.Xunit.v3's [Property] needs xunit.v3 4, which this suite does not run on yet.
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), Prop.ForAll(PopulationArbitrary.Populations(), Holds));
    }

    private static void Holds(Population population)
    {
        var first = Write(population, RandomNumberGenerator.GetBytes(32));
        var second = Write(population, RandomNumberGenerator.GetBytes(32));

        foreach (var file in new[] { first, second })
        {
            Assert.Equal("pseudonym,age,location,time,device,event_type,page", file.Lines[0]);
            var rows = file.Lines.Skip(1).Select(l => l.Split(',')).ToList();
            Assert.All(rows, r => Assert.Equal(7, r.Length));
            Assert.Equal(file.Result.Rows - file.Result.Suppressed, rows.Count);
            foreach (var group in rows.GroupBy(r => string.Join('|', r[1..5])))
            {
                Assert.True(group.Select(r => r[0]).Distinct().Count() >= population.K, $"a class of {group.Count()} rows has fewer than {population.K} people");
            }

            foreach (var person in population.People)
            {
                Assert.DoesNotContain(person.Id.ToString(), file.Text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(person.Id.ToString("N"), file.Text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(person.Email, file.Text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(person.Email.Split('@')[0] + "%40", file.Text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(person.Phone[3..], file.Text, StringComparison.Ordinal);
            }

            // Nothing but whole years, bands or * for age, and device families or types for device.
            Assert.All(rows, r => Assert.DoesNotContain(r[4], PopulationArbitrary.Devices));
        }

        var firstPseudonyms = first.Lines.Skip(1).Select(l => l.Split(',')[0]).ToHashSet();
        Assert.DoesNotContain(second.Lines.Skip(1).Select(l => l.Split(',')[0]), firstPseudonyms.Contains);
    }

    [Fact]
    [Trait("Clause", "S5.2")]
    public async Task AdvertiserFile_AttackerKnowingBirthDatePlaceAndDevice_CannotNarrowBelowK()
    {
        // The target is the only 41-year-old in Shanghai on a Pixel; everyone else is alike and spread out.
        var target = new Person(Guid.NewGuid(), "target@example.com", "+8613900000000", 41, 0, "Pixel 8", [10, 34, 58], [1, 2, 3]);
        var others = Enumerable.Range(0, 300).Select(i => new Person(
            Guid.NewGuid(), $"p{i}@example.com", $"+86137{i:00000000}", 18 + (i % 60), i % 6, PopulationArbitrary.Devices[i % 6],
            [(i * 7) % 300, (i * 13) % 300], [i % 5, (i + 1) % 5])).ToArray();
        var population = new Population([target, .. others], 10);
        var key = RandomNumberGenerator.GetBytes(32);

        var file = await WriteAsync(population, key);

        // The attacker keeps every row that could be the target's: an age cell containing 41, a location that
        // is a prefix of the target's geohash (or *), and the target's device family, type or *.
        var rows = file.Lines.Skip(1).Select(l => l.Split(',')).ToList();
        var candidates = rows.Where(r => AgeFits(r[1], 41) && (r[2] == "*" || "wtw3s".StartsWith(r[2], StringComparison.Ordinal))
            && r[4] is "Android phone" or "phone" or "*").ToList();
        Assert.NotEmpty(rows);
        Assert.True(candidates.Count == 0 || candidates.Count >= 10, $"{candidates.Count} rows");
        Assert.True(candidates.Count == 0 || candidates.Select(r => r[0]).Distinct().Count() >= 10);

        // And in any one time slot too: each class the target could be in holds ten people.
        foreach (var slot in candidates.GroupBy(r => string.Join('|', r[1..5])))
        {
            Assert.True(slot.Select(r => r[0]).Distinct().Count() >= 10);
        }
    }

    private static bool AgeFits(string cell, int age)
    {
        if (cell == "*")
        {
            return true;
        }

        var parts = cell.Split('-');
        var low = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var high = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : low;
        return low <= age && age <= high;
    }

    internal sealed record File(DeidentificationResult Result, string Text, string[] Lines);

    // The writer completes synchronously on a memory stream; FsCheck runs plain functions.
    internal static File Write(Population population, byte[] recipientKey) => WriteAsync(population, recipientKey).GetAwaiter().GetResult();

    internal static async Task<File> WriteAsync(Population population, byte[] recipientKey)
    {
        var records = new AdvertisingRecords();
        foreach (var person in population.People)
        {
            var owner = records.AddSubject(
                RecipientPseudonyms.Pseudonym(recipientKey, person.Id), person.Age, PopulationArbitrary.Places[person.Place], DeviceFamilies.Family(person.Device));
            for (var e = 0; e < person.Hours.Length; e++)
            {
                // Pages that carry the person's identifiers, as careless URLs do.
                var page = (person.Pages[e] % 6) switch
                {
                    0 => "/domains",
                    1 => $"/domains/search?q={person.Email}",
                    2 => $"/account/{person.Email}",
                    3 => $"/verify/{person.Phone}",
                    4 => $"/subjects/{person.Id}",
                    _ => "/pricing",
                };
                records.AddEvent(owner, Start.AddHours(person.Hours[e]), e % 2 == 0 ? "page-view" : "click", page);
            }
        }

        using var output = new MemoryStream();
        var written = await AdvertiserCsv.WriteAsync(records, 18, population.K, 0.05, output, TestContext.Current.CancellationToken);
        var bytes = output.ToArray();
        Assert.Equal(SHA256.HashData(bytes), written.Sha256);
        var text = Encoding.UTF8.GetString(bytes);
        return new File(written.Result, text, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
    }
}
