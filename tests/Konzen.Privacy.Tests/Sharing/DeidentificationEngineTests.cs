using Konzen.Privacy.Sharing;

namespace Konzen.Privacy.Tests.Sharing;

public sealed class DeidentificationEngineTests
{
    [Fact]
    public void Solve_WhenEveryClassAlreadyHasK_KeepsFullPrecision()
    {
        var qi = Flat("q", 3);
        var a = qi.Add(["a", "ab"]);
        var b = qi.Add(["b", "ab"]);
        int[] codes = [.. Enumerable.Repeat(a, 10), .. Enumerable.Repeat(b, 10)];

        var plan = DeidentificationEngine.Solve([qi], [codes], null, 10, 0);

        Assert.Equal([0], plan.Result.Levels);
        Assert.Equal(0, plan.Result.Suppressed);
        Assert.Equal(0, plan.Result.InformationLoss);
    }

    [Fact]
    public void Solve_WhenClassesAreSmall_GeneralizesToTheLevelThatMergesThem()
    {
        var qi = Flat("q", 3);
        var a = qi.Add(["a", "ab"]);
        var b = qi.Add(["b", "ab"]);
        int[] codes = [.. Enumerable.Repeat(a, 5), .. Enumerable.Repeat(b, 5)];

        var plan = DeidentificationEngine.Solve([qi], [codes], null, 10, 0);

        Assert.Equal([1], plan.Result.Levels);
        Assert.Equal(0, plan.Result.Suppressed);
        Assert.Equal(0.5, plan.Result.InformationLoss, 6);
    }

    [Fact]
    public void Solve_WhenOneOutlierFitsTheBudget_SuppressesItInsteadOfGeneralizing()
    {
        var qi = Flat("q", 3);
        var a = qi.Add(["a", "ab"]);
        var b = qi.Add(["b", "ab"]);
        int[] codes = [.. Enumerable.Repeat(a, 99), b];

        var plan = DeidentificationEngine.Solve([qi], [codes], null, 10, 0.05);

        Assert.Equal([0], plan.Result.Levels);
        Assert.Equal(1, plan.Result.Suppressed);
        Assert.False(plan.Keeps(99));
        Assert.True(plan.Keeps(0));
        Assert.Equal(0.01, plan.Result.InformationLoss, 6);
    }

    [Fact]
    public void Solve_ManyRowsOfOneOwner_CountAsOnePerson()
    {
        // Twenty rows in one class, but from two people: not 10-anonymous, whatever the row count says.
        var qi = Flat("q", 2);
        var a = qi.Add(["a"]);
        int[] codes = [.. Enumerable.Repeat(a, 20)];
        int[] owners = [.. Enumerable.Repeat(0, 10), .. Enumerable.Repeat(1, 10)];

        var plan = DeidentificationEngine.Solve([qi], [codes], owners, 10, 0.05);

        Assert.Equal(20, plan.Result.Suppressed);
        Assert.Equal(1, plan.Result.InformationLoss);
        Assert.All(Enumerable.Range(0, 20), r => Assert.False(plan.Keeps(r)));
    }

    [Fact]
    public void Solve_TwoQuasiIdentifiers_ChoosesTheNodeOfLeastLoss()
    {
        // Generalizing x merges nothing useful; generalizing y alone makes every class 10 strong.
        var x = Flat("x", 2);
        var y = Flat("y", 3);
        var x1 = x.Add(["x1"]);
        var x2 = x.Add(["x2"]);
        var yCodes = Enumerable.Range(0, 4).Select(i => y.Add([$"y{i}", i < 2 ? "low" : "high"])).ToArray();
        var xs = new List<int>();
        var ys = new List<int>();
        foreach (var xv in new[] { x1, x2 })
        {
            foreach (var yv in yCodes)
            {
                xs.AddRange(Enumerable.Repeat(xv, 5));
                ys.AddRange(Enumerable.Repeat(yv, 5));
            }
        }

        var plan = DeidentificationEngine.Solve([x, y], [xs.ToArray(), ys.ToArray()], null, 10, 0);

        Assert.Equal([0, 1], plan.Result.Levels);
        Assert.Equal(0.25, plan.Result.InformationLoss, 6);
    }

    [Fact]
    public void Solve_MismatchedColumns_Throws()
    {
        var qi = Flat("q", 2);
        qi.Add(["a"]);

        Assert.Throws<ArgumentException>(() => DeidentificationEngine.Solve([qi], [[0, 0]], [0], 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeidentificationEngine.Solve([qi], [[0]], null, 0, 0));
    }

    [Fact]
    public void AgeHierarchy_BandsStartAtTheAdultAge_AndNest()
    {
        var qis = new AdvertisingQuasiIdentifiers(18);
        var code = qis.AgeCode(34);

        Assert.Equal(["34", "33-37", "28-37", "18-37", "*"], Enumerable.Range(0, 5).Select(l => qis.Age.Label(code, l)));
    }

    [Fact]
    public void TimeHierarchy_HourSixHoursDayWeek()
    {
        var qis = new AdvertisingQuasiIdentifiers();
        var code = qis.TimeCode(new DateTimeOffset(2026, 12, 1, 8, 41, 5, TimeSpan.Zero));

        Assert.Equal(["2026-12-01T08h", "2026-12-01T06h+6h", "2026-12-01", "2026-W49", "*"], Enumerable.Range(0, 5).Select(l => qis.Time.Label(code, l)));
    }

    [Fact]
    public void LocationAndDevice_GeneralizeByPrefixAndType()
    {
        var qis = new AdvertisingQuasiIdentifiers();
        var location = qis.LocationCode(Geohash.Encode(31.2304, 121.4737, 5));
        var device = qis.DeviceCode(DeviceFamilies.Family("iPhone 15 Pro"));

        Assert.Equal(["wtw3s", "wtw3", "wtw", "wt", "*"], Enumerable.Range(0, 5).Select(l => qis.Location.Label(location, l)));
        Assert.Equal(["iPhone", "phone", "*"], Enumerable.Range(0, 3).Select(l => qis.Device.Label(device, l)));
        Assert.Equal("*", qis.Location.Label(qis.LocationCode(null), 0));
    }

    [Theory]
    [InlineData("/domains/search?q=alice@example.com", "/domains/search")]
    [InlineData("https://konzen.example/account/alice@example.com#top", "/account/{id}")]
    [InlineData("/orders/13800138000/receipt", "/orders/{id}/receipt")]
    [InlineData("/u/3f2504e0-4f89-11d3-9a0c-0305e82c3301", "/u/{id}")]
    [InlineData("/domains/konzen.cn", "/domains/konzen.cn")]
    [InlineData(null, "/")]
    public void PagePath_DropsQueriesAndIdentifierSegments(string? page, string expected) =>
        Assert.Equal(expected, PagePaths.Path(page));

    private static QuasiIdentifier Flat(string name, int levels) => new(name, levels);
}
