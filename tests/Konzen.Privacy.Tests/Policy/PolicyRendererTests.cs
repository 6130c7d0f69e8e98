using System.Text.RegularExpressions;
using Konzen.Privacy.Policy;
using Konzen.Privacy.Policy.Rendering;

namespace Konzen.Privacy.Tests.Policy;

public sealed partial class PolicyRendererTests
{
    private static readonly string[] SectionIds =
        ["introduction", "section-1", "section-2", "section-3", "section-4", "section-5", "section-6", "section-7", "section-8", "glossary"];

    /// <summary>Every clause of the Konzen policy; the default policy covers them all.</summary>
    private static readonly string[] AllClauses =
    [
        "S0.1", "S0.2", "S0.3", "S0.4",
        "S1.1", "S1.2", "S1.3", "S1.4", "S1.5", "S1.6",
        "S2.1", "S2.2", "S2.3", "S2.4", "S2.5",
        "S3.1", "S3.2", "S3.3",
        "S4.1", "S4.2", "S4.3", "S4.4", "S4.5", "S4.6", "S4.7", "S4.8", "S4.9",
        "S5.1", "S5.2", "S5.3", "S5.4", "S5.5", "S5.6",
        "S6.1", "S6.2", "S6.3", "S6.4",
        "S7.1", "S7.2",
        "S8.1",
    ];

    private static readonly string[] ExpectedTerms =
    [
        "cookie", "identifier", "ip-address", "log-information", "personal-information", "sensitive-personal-information",
        "de-identification", "anonymization", "pseudonymization", "encryption", "tls", "k-anonymity", "consent",
        "legal-basis", "crypto-shredding",
    ];

    public static TheoryData<PolicyFormat, PolicyLanguage> Outputs => RenderedPolicy.Outputs;

    public static TheoryData<PolicyLanguage> Languages => RenderedPolicy.Languages;

    [Theory]
    [MemberData(nameof(Outputs))]
    [Trait("Clause", "S0.1")]
    public void Render_AnyFormatAndLanguage_HasIntroductionEightSectionsAndGlossaryInOrder(PolicyFormat format, PolicyLanguage language)
    {
        var output = PolicyRenderer.Render(RenderedPolicy.Default, format, language);

        var positions = SectionIds.Select(id => output.IndexOf(
            format == PolicyFormat.Html ? $"<h2 id=\"{id}\">" : $"## <a id=\"{id}\"></a>", StringComparison.Ordinal)).ToArray();
        Assert.All(positions, position => Assert.True(position >= 0));
        Assert.Equal(positions.Order(), positions);
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Render_English_UsesTheSeedSectionHeadings()
    {
        var output = PolicyRenderer.Render(RenderedPolicy.Default, PolicyFormat.Html, PolicyLanguage.En);

        string[] headings =
        [
            "Introduction", "1. Information We Collect", "2. Information Storage", "3. Information Security",
            "4. How We Use Information", "5. Information Sharing", "6. Your Rights", "7. Changes", "8. Protection of Minors",
        ];
        Assert.All(headings, heading => Assert.Contains($"\">{heading}</h2>", output, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    [Trait("Clause", "S0.1")]
    public void Render_Html_IsACompleteSelfContainedPageWithLanguageSwitch(PolicyLanguage language)
    {
        var html = PolicyRenderer.Render(RenderedPolicy.Default, PolicyFormat.Html, language);
        var other = language == PolicyLanguage.En ? "zh-CN" : "en";

        Assert.StartsWith("<!DOCTYPE html>\n<html lang=\"" + language.Tag() + "\">", html, StringComparison.Ordinal);
        Assert.Contains("<meta charset=\"utf-8\">", html, StringComparison.Ordinal);
        Assert.Matches("<title>[^<]+</title>", html);
        Assert.Contains("<style>", html, StringComparison.Ordinal);
        Assert.Contains($"<a href=\"?lang={other}\"", html, StringComparison.Ordinal);
        Assert.EndsWith("</html>\n", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(RenderedPolicy.Default.Version.Number, RenderedPolicy.ClauseText(html, "S7.1"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.1")]
    [Trait("Clause", "S4.2")]
    [Trait("Clause", "S4.3")]
    [Trait("Clause", "S4.4")]
    [Trait("Clause", "S4.5")]
    [Trait("Clause", "S4.6")]
    [Trait("Clause", "S4.7")]
    [Trait("Clause", "S4.8")]
    public void Render_DefaultPolicy_NamesEveryCategoryPurposeRecipientExceptionRightStoreAndRegion(PolicyFormat format, PolicyLanguage language)
    {
        var policy = RenderedPolicy.Default;
        var text = RenderedPolicy.VisibleText(PolicyRenderer.Render(policy, format, language), format);

        var names = policy.Categories.Select(c => c.Name)
            .Concat(policy.Purposes.SelectMany(p => new[] { p.Name, p.Description }))
            .Concat(policy.Sharing.Recipients.Select(r => r.Name))
            .Concat(policy.Sharing.LegalExceptions.Select(e => e.Name))
            .Concat(policy.Rights.List.Select(r => r.Name))
            .Concat(policy.Stores.Select(s => s.Name))
            .Concat(policy.Regions.Select(r => r.Name))
            .Append(policy.Controller.Name)
            .Append(policy.Controller.Service);
        Assert.All(names, name => Assert.Contains(name[language], text, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    public void Render_DefaultPolicy_TablesEveryCategoryWithItsStoresAndRetentionInWords(PolicyFormat format, PolicyLanguage language)
    {
        var policy = RenderedPolicy.Default;
        var rows = RenderedPolicy.TableRows(PolicyRenderer.Render(policy, format, language), format);

        Assert.Equal(policy.Categories.Length, rows.Count);
        foreach (var category in policy.Categories)
        {
            var row = rows[category.Name[language]];
            Assert.All(category.Stores, id => Assert.Contains(policy.Stores.Single(s => s.Id == id).Name[language], row[1], StringComparison.Ordinal));
            Assert.Equal(RetentionWords(category.Retention.ToString(), language), row[2]);
        }
    }

    [Theory]
    [InlineData("P30D", "30 days", "30天")]
    [InlineData("P1D", "1 day", "1天")]
    [InlineData("P2W", "14 days", "14天")]
    [InlineData("P1Y6M", "1 year and 6 months", "1年6个月")]
    [InlineData("P2Y3M10D", "2 years, 3 months and 10 days", "2年3个月10天")]
    [InlineData("until-account-cancellation", "until you cancel your account", "至您注销账户时")]
    public void Render_RetentionChangedInPolicyCopy_TableStatesTheNewPeriod(string retention, string english, string chinese)
    {
        var policy = RenderedPolicy.Edited(yaml => yaml.ReplaceAfter("key: user.location.precise", "retention: P90D", $"retention: {retention}"));

        foreach (var format in new[] { PolicyFormat.Html, PolicyFormat.Markdown })
        {
            Assert.Equal(english, RenderedPolicy.TableRows(PolicyRenderer.Render(policy, format, PolicyLanguage.En), format)["precise geographic location"][2]);
            Assert.Equal(chinese, RenderedPolicy.TableRows(PolicyRenderer.Render(policy, format, PolicyLanguage.ZhCn), format)["精确地理位置"][2]);
        }
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    [Trait("Clause", "S0.2")]
    public void Render_TermLinks_PointAtGlossaryEntriesAndEveryEntryIsLinkedFromTheText(PolicyFormat format, PolicyLanguage language)
    {
        var output = PolicyRenderer.Render(RenderedPolicy.Default, format, language);
        var glossaryStart = output.IndexOf(format == PolicyFormat.Html ? "<h2 id=\"glossary\">" : "## <a id=\"glossary\"></a>", StringComparison.Ordinal);
        Assert.True(glossaryStart > 0);
        var body = output[..glossaryStart];
        var glossary = output[glossaryStart..];

        var linkPattern = format == PolicyFormat.Html ? "href=\"#term-([^\"]+)\"" : @"\]\(#term-([^)]+)\)";
        var entryPattern = format == PolicyFormat.Html ? "<dt id=\"term-([^\"]+)\">" : "<a id=\"term-([^\"]+)\"></a>";
        var linked = Regex.Matches(output, linkPattern).Select(m => m.Groups[1].Value).ToHashSet();
        var linkedFromBody = Regex.Matches(body, linkPattern).Select(m => m.Groups[1].Value).ToHashSet();
        var entries = Regex.Matches(glossary, entryPattern).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(entries.Count, entries.Distinct().Count());
        Assert.Subset(entries.ToHashSet(), linked);
        Assert.Equal(entries.ToHashSet(), linkedFromBody);
        Assert.Subset(entries.ToHashSet(), ExpectedTerms.ToHashSet());
        Assert.Contains(format == PolicyFormat.Html ? "href=\"#glossary\"" : "](#glossary)", body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    [Trait("Clause", "S0.2")]
    public void Render_TermNoLongerUsedInPolicyCopy_GlossaryLeavesItsEntryOut(PolicyFormat format, PolicyLanguage language)
    {
        // Only the automatically sent category explains the IP address; once nothing is collected that way,
        // the glossary entry would be linked from nowhere.
        var policy = RenderedPolicy.Edited(yaml => yaml.ReplaceAfter("key: user.device.ip_address", "collected: automatic", "collected: cookies"));

        var output = PolicyRenderer.Render(policy, format, language);

        Assert.DoesNotContain("term-ip-address", output, StringComparison.Ordinal);
        Assert.Contains("term-cookie", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    [Trait("Clause", "S0.1")]
    public void Render_Html_AnchorsEveryBlockWithItsClauseAndCoversEveryClause(PolicyLanguage language)
    {
        var html = PolicyRenderer.Render(RenderedPolicy.Default, PolicyFormat.Html, language);

        var openings = BlockOpening().Matches(html).Select(m => m.Value).ToList();
        Assert.NotEmpty(openings);
        Assert.All(openings, tag => Assert.Matches("id=\"S\\d+\\.\\d+(-\\d+)?\" data-clause=\"S\\d+\\.\\d+\"", tag));

        var blocks = RenderedPolicy.HtmlBlocks(html);
        Assert.Equal(openings.Count, blocks.Count);
        AssertNumberedPerClause(blocks.Select(b => (b.Id, b.Clause)));
        Assert.Subset(blocks.Select(b => b.Clause).ToHashSet(), AllClauses.ToHashSet());
    }

    [Theory]
    [MemberData(nameof(Languages))]
    [Trait("Clause", "S0.1")]
    public void Render_Markdown_StartsEveryBlockWithItsClauseAnchorAndCoversEveryClause(PolicyLanguage language)
    {
        var markdown = PolicyRenderer.Render(RenderedPolicy.Default, PolicyFormat.Markdown, language);
        var lines = markdown.Split('\n');

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var tableBody = line.StartsWith('|') && i > 0 && lines[i - 1].StartsWith('|');
            if (line.Length == 0 || line.StartsWith('#') || tableBody)
            {
                continue;
            }

            Assert.Matches("^(- |\\| )?<a id=\"S\\d+\\.\\d+(-\\d+)?\"></a>", line);
        }

        var anchors = MarkdownClauseAnchor().Matches(markdown).Select(m => (m.Groups["id"].Value, m.Groups["clause"].Value));
        AssertNumberedPerClause(anchors);
        foreach (var clause in AllClauses)
        {
            Assert.Contains($"<a id=\"{clause}\"></a>", markdown, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    [Trait("Clause", "S0.1")]
    [Trait("Clause", "S4.9")]
    public void Render_PurposeDeletedFromPolicyCopy_ItsNameAndDescriptionDisappear(PolicyFormat format, PolicyLanguage language)
    {
        var purpose = RenderedPolicy.Default.Purposes.Single(p => p.Key == "functional.service.improve");
        var before = RenderedPolicy.VisibleText(PolicyRenderer.Render(RenderedPolicy.Default, format, language), format);
        Assert.Contains(purpose.Name[language], before, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(purpose.Description[language], before, StringComparison.OrdinalIgnoreCase);

        var policy = RenderedPolicy.Edited(yaml =>
        {
            var start = yaml.IndexOf("  - key: functional.service.improve", StringComparison.Ordinal);
            var end = yaml.IndexOf("  - key:", start + 1, StringComparison.Ordinal);
            return yaml.Remove(start, end - start);
        });
        var output = PolicyRenderer.Render(policy, format, language);
        var after = RenderedPolicy.VisibleText(output, format);

        Assert.DoesNotContain(purpose.Name[language], after, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(purpose.Description[language], after, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(purpose.Clause, output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    [Trait("Clause", "S4.1")]
    [Trait("Clause", "S4.2")]
    [Trait("Clause", "S4.3")]
    [Trait("Clause", "S4.4")]
    [Trait("Clause", "S4.5")]
    [Trait("Clause", "S4.6")]
    [Trait("Clause", "S4.7")]
    [Trait("Clause", "S4.8")]
    public void Render_EachPurpose_ListsItsCategoriesBasisAndWhetherItCanBeTurnedOff(PolicyLanguage language)
    {
        var policy = RenderedPolicy.Default;
        var html = PolicyRenderer.Render(policy, PolicyFormat.Html, language);
        var blocks = RenderedPolicy.HtmlBlocks(html);
        var optional = language == PolicyLanguage.En ? "you can turn it on or off at any time" : "您可以随时在隐私中心开启或关闭";
        var basisWords = new Dictionary<LegalBasis, string>
        {
            [LegalBasis.Necessary] = language == PolicyLanguage.En ? "necessary to provide the service" : "为提供您所要求的服务所必需",
            [LegalBasis.Consent] = language == PolicyLanguage.En ? "Legal basis: your consent" : "法律依据：您的同意",
            [LegalBasis.LegalObligation] = language == PolicyLanguage.En ? "a legal obligation" : "为履行法定义务所必需",
        };

        foreach (var purpose in policy.Purposes)
        {
            var entry = Assert.Single(blocks, b => b.Clause == purpose.Clause && b.Text.Contains(purpose.Description[language], StringComparison.Ordinal));
            Assert.StartsWith(purpose.Name[language], entry.Text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(basisWords[purpose.Basis], entry.Text, StringComparison.Ordinal);
            Assert.All(purpose.Categories, key => Assert.Contains(policy.Categories.Single(c => c.Key == key).Name[language], entry.Text, StringComparison.Ordinal));
            Assert.Equal(purpose.Optional, entry.Text.Contains(optional, StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Render_Sharing_DescribesRecipientsIdentifyingDataAndLegalExceptionsFromTheData(PolicyLanguage language)
    {
        var policy = RenderedPolicy.Default;
        var html = PolicyRenderer.Render(policy, PolicyFormat.Html, language);
        var blocks = RenderedPolicy.HtmlBlocks(html);
        string Name(string key) => policy.Categories.Single(c => c.Key == key).Name[language];

        Assert.Contains(policy.Sharing.KAnonymity.ToString(System.Globalization.CultureInfo.InvariantCulture), blocks.First(b => b.Clause == "S5.2").Text, StringComparison.Ordinal);
        foreach (var recipient in policy.Sharing.Recipients)
        {
            var entry = Assert.Single(blocks, b => b.Clause == recipient.Clause && b.Text.StartsWith(recipient.Name[language], StringComparison.OrdinalIgnoreCase));
            Assert.All(recipient.Categories, key => Assert.Contains(Name(key), entry.Text, StringComparison.Ordinal));
            Assert.All(recipient.Purposes, key => Assert.Contains(policy.Purposes.Single(p => p.Key == key).Name[language], entry.Text, StringComparison.Ordinal));
        }

        var identifying = RenderedPolicy.ClauseText(html, "S5.3");
        Assert.All(policy.Categories, c => Assert.Equal(c.IdentifiesDirectly, identifying.Contains(c.Name[language], StringComparison.Ordinal)));

        var exceptions = blocks.Where(b => b.Clause == "S5.6").Skip(1).Select(b => b.Text).ToList();
        Assert.Equal(policy.Sharing.LegalExceptions.Select(e => e.Name[language]), exceptions, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    [Trait("Clause", "S0.4")]
    public void Render_ContactChannels_AreListedAndEmailIsAMailLink()
    {
        var policy = RenderedPolicy.Default;
        var html = PolicyRenderer.Render(policy, PolicyFormat.Html, PolicyLanguage.En);
        var contact = RenderedPolicy.ClauseText(html, "S0.4");

        Assert.All(policy.Controller.Contact, channel => Assert.Contains(channel.Address, contact, StringComparison.Ordinal));
        Assert.Contains("href=\"mailto:privacy@konzen.example\"", html, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Clause", "S0.4")]
    public void Render_WebContactWithScriptAddress_IsShownAsTextNotLink()
    {
        var policy = RenderedPolicy.Edited(yaml => yaml.Replace("address: /privacy-center/contact", "address: \"javascript:alert(1)\"", StringComparison.Ordinal));

        var html = PolicyRenderer.Render(policy, PolicyFormat.Html, PolicyLanguage.En);
        var markdown = PolicyRenderer.Render(policy, PolicyFormat.Markdown, PolicyLanguage.En);

        Assert.Contains("javascript:alert(1)", RenderedPolicy.ClauseText(html, "S0.4"), StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"javascript:", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("](javascript:", markdown, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Render_RegistrationRequirementChangedInPolicyCopy_NamesOnlyTheRequiredCategory()
    {
        var policy = RenderedPolicy.Edited(yaml => yaml.Replace(
            "requires_one_of: [user.contact.phone_number, user.contact.email]", "requires_one_of: [user.contact.email]", StringComparison.Ordinal));

        var registration = RenderedPolicy.ClauseText(PolicyRenderer.Render(policy, PolicyFormat.Html, PolicyLanguage.En), "S1.1");

        Assert.Contains("your email address", registration, StringComparison.Ordinal);
        Assert.DoesNotContain("phone number", registration, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Render_LocationCategories_NameTheirSourcesAndHowToStopCollection(PolicyLanguage language)
    {
        var policy = RenderedPolicy.Default;
        var html = PolicyRenderer.Render(policy, PolicyFormat.Html, language);
        var location = RenderedPolicy.ClauseText(html, "S1.3");

        foreach (var category in policy.Categories.Where(c => c.Clause == "S1.3"))
        {
            Assert.Contains(category.Name[language], location, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("GPS", location, StringComparison.Ordinal);
        Assert.Contains("WiFi", location, StringComparison.Ordinal);
        Assert.NotEmpty(RenderedPolicy.ClauseText(html, "S1.4"));
    }

    [Theory]
    [InlineData("response_working_days: 15", "response_working_days: 10", "S6.3", "within 10 working days", "10个工作日")]
    [InlineData("cancellation_cooling_off_days: 15", "cancellation_cooling_off_days: 7", "S6.4", "cooling-off period of 7 days", "7天的冷静期")]
    [InlineData("notice_days: 15", "notice_days: 30", "S7.1", "at least 30 days before", "至少30天")]
    [InlineData("deletion_within_days: 30", "deletion_within_days: 1", "S2.5", "within 1 day,", "在1天内")]
    [InlineData("k_anonymity: 10", "k_anonymity: 25", "S5.2", "at least 25 people", "至少包含25人")]
    [InlineData("adult_age: 18", "adult_age: 16", "S8.1", "under the age of 16", "未满16周岁")]
    [InlineData("child_age: 14", "child_age: 12", "S8.1", "If you are under 12,", "如您未满12周岁")]
    public void Render_NumberChangedInPolicyCopy_ClauseStatesTheNewNumber(string old, string replacement, string clause, string english, string chinese)
    {
        var policy = RenderedPolicy.Edited(yaml => yaml.Replace(old, replacement, StringComparison.Ordinal));

        Assert.Contains(english, RenderedPolicy.ClauseText(PolicyRenderer.Render(policy, PolicyFormat.Html, PolicyLanguage.En), clause), StringComparison.Ordinal);
        Assert.Contains(chinese, RenderedPolicy.ClauseText(PolicyRenderer.Render(policy, PolicyFormat.Html, PolicyLanguage.ZhCn), clause), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Render_Minors_NameTheExcludedPurposesAndThoseAllowedBeforeGuardianConsent(PolicyLanguage language)
    {
        var policy = RenderedPolicy.Default;
        var minors = RenderedPolicy.ClauseText(PolicyRenderer.Render(policy, PolicyFormat.Html, language), "S8.1");

        foreach (var key in policy.Minors.ExcludedPurposes.Concat(policy.Minors.ChildBeforeGuardianConsent))
        {
            Assert.Contains(policy.Purposes.Single(p => p.Key == key).Name[language], minors, StringComparison.Ordinal);
        }

        Assert.Contains("PIPL Art. 28, 31", RenderedPolicy.ClauseText(PolicyRenderer.Render(policy, PolicyFormat.Html, PolicyLanguage.En), "S8.1"), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Render_CrossBorderTransferDeclaredInPolicyCopy_ListsPurposeRecipientMeasuresAndRisks(PolicyLanguage language)
    {
        var noTransfer = RenderedPolicy.ClauseText(PolicyRenderer.Render(RenderedPolicy.Default, PolicyFormat.Html, language), "S2.4");
        var policy = RenderedPolicy.Edited(yaml => yaml
            .Replace("cross_border_transfers: []", """
                cross_border_transfers:
                  - id: sg-advertisers
                    to_region: SG
                    recipient: advertisers
                    purposes: [analytics.reporting.ad_performance]
                    categories: [user.device]
                    security_measures: { en: "contract clauses and encryption", zh-CN: "合同条款和加密" }
                    risks: { en: "foreign authorities may ask for access", zh-CN: "境外机关可能要求访问" }
                """, StringComparison.Ordinal)
            .ReplaceAfter("regions:", "\n\nstores:", "\n  - id: SG\n    name: { en: \"Singapore\", zh-CN: \"新加坡\" }\n\nstores:"));

        var transfer = RenderedPolicy.ClauseText(PolicyRenderer.Render(policy, PolicyFormat.Html, language), "S2.4");

        Assert.NotEqual(noTransfer, transfer);
        var words = language == PolicyLanguage.En
            ? new[] { "Singapore", "advertisers", "advertising measurement", "device information", "contract clauses and encryption", "foreign authorities may ask for access" }
            : ["新加坡", "广告主", "广告效果评估", "设备信息", "合同条款和加密", "境外机关可能要求访问"];
        Assert.All(words, word => Assert.Contains(word, transfer, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void Render_CategoryNameWithMarkup_IsEscapedInBothFormats()
    {
        var policy = RenderedPolicy.Edited(yaml => yaml.Replace(
            "name: { en: \"phone number\"", "name: { en: \"phone <script>alert(1)</script> & number\"", StringComparison.Ordinal));

        var html = PolicyRenderer.Render(policy, PolicyFormat.Html, PolicyLanguage.En);
        var markdown = PolicyRenderer.Render(policy, PolicyFormat.Markdown, PolicyLanguage.En);

        Assert.Contains("phone &lt;script&gt;alert(1)&lt;/script&gt; &amp; number", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.Contains(@"phone \<script\>alert(1)\</script\> & number", markdown, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?<!\\)<script", markdown);
    }

    [Fact]
    public void Render_UnknownFormat_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyRenderer.Render(RenderedPolicy.Default, (PolicyFormat)7, PolicyLanguage.En));
    }

    [Fact]
    [Trait("Clause", "S0.1")]
    public void TextTables_EnglishAndChinese_HaveTheSameKeysAndPlaceholders()
    {
        var english = TextTable.Parse(TextTable.ReadEmbedded("en"));
        var chinese = TextTable.Parse(TextTable.ReadEmbedded("zh-CN"));

        Assert.Equal(english.Keys.Order(StringComparer.Ordinal), chinese.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(english.GlossaryTerms, chinese.GlossaryTerms);
        foreach (var key in english.Keys)
        {
            // Chinese may leave out a value it does not need, but must not ask for one the renderer
            // only fills for English, and must link the same glossary terms.
            Assert.Subset(english[key].SlotNames.ToHashSet(), chinese[key].SlotNames.ToHashSet());
            Assert.Equal(english[key].TermIds.ToHashSet(), chinese[key].TermIds.ToHashSet());
        }
    }

    /// <summary>Anchors of one clause run <c>S4.2</c>, <c>S4.2-2</c>, <c>S4.2-3</c>… in document order, and no id repeats.</summary>
    private static void AssertNumberedPerClause(IEnumerable<(string Id, string Clause)> anchors)
    {
        var seen = new Dictionary<string, int>();
        var ids = new HashSet<string>();
        foreach (var (id, clause) in anchors)
        {
            var count = seen[clause] = seen.GetValueOrDefault(clause) + 1;
            Assert.Equal(count == 1 ? clause : $"{clause}-{count}", id);
            Assert.True(ids.Add(id), $"anchor '{id}' appears twice");
        }
    }

    private static string RetentionWords(string retention, PolicyLanguage language) => (retention, language) switch
    {
        ("until-account-cancellation", PolicyLanguage.En) => "until you cancel your account",
        ("until-account-cancellation", _) => "至您注销账户时",
        ("P90D", PolicyLanguage.En) => "90 days",
        ("P90D", _) => "90天",
        ("P6M", PolicyLanguage.En) => "6 months",
        ("P6M", _) => "6个月",
        ("P1Y", PolicyLanguage.En) => "1 year",
        ("P1Y", _) => "1年",
        _ => throw new ArgumentOutOfRangeException(nameof(retention), retention, "no expected words for this retention"),
    };

    [GeneratedRegex("<(p|li|dd|table)\\b[^>]*>")]
    private static partial Regex BlockOpening();

    [GeneratedRegex("<a id=\"(?<id>(?<clause>S\\d+\\.\\d+)(-\\d+)?)\"></a>")]
    private static partial Regex MarkdownClauseAnchor();
}
