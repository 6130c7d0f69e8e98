using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Encodings.Web;
using Konzen.Privacy.Consent;
using Konzen.Privacy.Notices;
using Konzen.Privacy.Rights;

namespace Konzen.Privacy.Host.Rights;

/// <summary>
/// The export as a zip written straight to the response: <c>data.json</c>, one CSV per section (RFC 4180,
/// UTF-8 with a byte order mark so spreadsheet programs read Chinese correctly, and cells that would
/// start a formula prefixed with an apostrophe), and <c>index.html</c>, a readable summary. The archive
/// is created in streaming mode, so nothing is held beyond the current row and the compressor's window.
/// </summary>
internal static class ExportZip
{
    private static readonly UTF8Encoding Utf8WithBom = new(encoderShouldEmitUTF8Identifier: true);

    public static bool PrefersChinese(string acceptLanguage)
    {
        // The first language named decides; quality values are not weighed for two languages.
        var first = acceptLanguage.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? string.Empty;
        return first.StartsWith("zh", StringComparison.OrdinalIgnoreCase);
    }

    public static async Task WriteAsync(Stream body, DataExport export, ExportAccount account, DateTimeOffset generatedAt, bool chinese, CancellationToken cancellationToken)
    {
        await using var output = new DrainingStream(body);
        await using (var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken))
        {
            await WriteEntriesAsync(zip, export, account, generatedAt, chinese, cancellationToken);
        }

        await output.DrainAsync(cancellationToken);
    }

    private static async Task WriteEntriesAsync(ZipArchive zip, DataExport export, ExportAccount account, DateTimeOffset generatedAt, bool chinese, CancellationToken cancellationToken)
    {
        var id = account.SubjectId;
        await using (var json = await zip.CreateEntry("data.json", CompressionLevel.Fastest).OpenAsync(cancellationToken))
        {
            await DataExportJson.WriteAsync(json, export, account, generatedAt, cancellationToken);
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await CsvAsync(zip, "account.csv", ["category", "value", "updatedAt"],
            Rows(account.Fields.Select(f => new[] { Text(f.Category), Text(f.Value), Time(f.UpdatedAt) })), counts, cancellationToken);
        await CsvAsync(zip, "consents.csv", ["id", "purpose", "granted", "policyHash", "method", "at", "receiptId", "receipt"],
            Map(export.ConsentsAsync(id, cancellationToken), c => [Number(c.Id), Text(c.Purpose), Bool(c.Granted), Text(c.PolicyHash), Text(c.Method.ToString().ToLowerInvariant()), Time(c.At), Text(c.ReceiptId.ToString()), Text(c.Receipt)]),
            counts, cancellationToken);
        var guardian = await export.GuardianAsync(id, cancellationToken);
        await CsvAsync(zip, "guardian.csv", ["minor", "child", "markedAt", "channel", "address", "verified", "verifiedAt"],
            Rows(guardian is null ? [] : [[
                Bool(guardian.Minor), Bool(guardian.Child), Time(guardian.MarkedAt), Text(guardian.Channel), Text(guardian.Address), Bool(guardian.Verified), Time(guardian.VerifiedAt)]]),
            counts, cancellationToken);
        await CsvAsync(zip, "transfer-consents.csv", ["id", "transferId", "granted", "noticeHash", "language", "at"],
            Map(export.TransferConsentsAsync(id), t => [Number(t.Id), Text(t.TransferId), Bool(t.Granted), Text(t.NoticeHash), Text(t.Language), Time(t.At)]),
            counts, cancellationToken);
        var positioning = await export.PositioningAsync(id, cancellationToken);
        await CsvAsync(zip, "positioning.csv", ["on", "since"],
            Rows([[Bool(positioning?.On ?? true), positioning is null ? string.Empty : Time(positioning.Since)]]), counts, cancellationToken);
        await CsvAsync(zip, "locations.csv", ["id", "recordedAt", "receivedAt", "source", "accuracy", "latitude", "longitude"],
            Map(export.LocationsAsync(id, cancellationToken), l => [Text(l.Id.ToString()), Time(l.RecordedAt), Time(l.ReceivedAt), Text(l.Source.ToString().ToLowerInvariant()), Number(l.Accuracy), Number(l.Latitude), Number(l.Longitude)]),
            counts, cancellationToken);
        await CsvAsync(zip, "log-events.csv", ["id", "period", "type", "purpose", "category", "at", "receivedAt", "ip", "page", "target", "data"],
            Map(export.LogEventsAsync(id, cancellationToken), e => [Number(e.Id), Number(e.Period), Text(e.Type), Text(e.Purpose), Text(e.Category), Time(e.At), Time(e.ReceivedAt), Text(e.Ip), Text(e.Page), Text(e.Target), Text(string.Join("; ", e.Data.Select(d => $"{d.Key}={d.Value}")))]),
            counts, cancellationToken);
        string[] auditColumns = ["sequence", "at", "actor", "action", "field", "purpose", "detail"];
        await CsvAsync(zip, "staff-accesses.csv", auditColumns, Map(export.AuditAsync(id, staff: true), Audit), counts, cancellationToken);
        await CsvAsync(zip, "activity.csv", auditColumns, Map(export.AuditAsync(id, staff: false), Audit), counts, cancellationToken);
        await CsvAsync(zip, "disclosures.csv", ["id", "recipientId", "recipientName", "at", "basis", "purpose", "categories", "subjectCount", "sha256", "k"],
            Rows((await export.DisclosuresAsync(id, cancellationToken)).Select(d => new[]
            {
                Text(d.Id.ToString()), Text(d.RecipientId), Text(d.RecipientName), Time(d.At), Text(Konzen.Privacy.Sharing.LegalRequests.Name(d.Basis)), Text(d.Purpose),
                Text(string.Join("; ", d.Categories)), Number(d.SubjectCount), Text(d.Sha256), d.K is { } k ? Number(k) : string.Empty,
            })),
            counts, cancellationToken);
        await CsvAsync(zip, "identifying-authorizations.csv", ["id", "recipientId", "recipientName", "categories", "granted", "at"],
            Map(export.IdentifyingAuthorizationsAsync(id), a => [Number(a.Id), Text(a.RecipientId), Text(a.RecipientName), Text(string.Join("; ", a.Categories)), Bool(a.Granted), Time(a.At)]),
            counts, cancellationToken);
        await CsvAsync(zip, "public-disclosure-consents.csv", ["id", "noticeId", "noticeHash", "language", "granted", "at"],
            Map(export.PublicDisclosureConsentsAsync(id), c => [Number(c.Id), Text(c.NoticeId.ToString()), Text(c.NoticeHash), Text(c.Language), Bool(c.Granted), Time(c.At)]),
            counts, cancellationToken);
        await CsvAsync(zip, "notifications.csv", ["id", "template", "channel", "language", "status", "attempts", "createdAt", "sentAt", "readAt", "subject", "body"],
            Map(export.NotificationsAsync(id, cancellationToken), n => [
                Text(n.Id.ToString()), Text(n.Template), Text(NotificationNames.Of(n.Channel)), Text(n.Language), Text(NotificationNames.Of(n.Status)), Number(n.Attempts),
                Time(n.CreatedAt), Time(n.SentAt), Time(n.ReadAt), Text(n.Subject), Text(n.Body)]),
            counts, cancellationToken);
        var language = await export.NotificationLanguageAsync(id, cancellationToken);
        await CsvAsync(zip, "notification-language.csv", ["language", "updatedAt"],
            Rows(language is null ? [] : [[Text(language.Language), Time(language.UpdatedAt)]]), counts, cancellationToken);
        await CsvAsync(zip, "requests.csv", ["id", "kind", "status", "filedAt", "dueAt"], Rows([]), counts, cancellationToken);

        await using (var html = await zip.CreateEntry("index.html", CompressionLevel.Fastest).OpenAsync(cancellationToken))
        {
            await using var writer = new StreamWriter(html, new UTF8Encoding(false));
            await ExportPage.WriteAsync(writer, export, account, positioning, language, guardian, generatedAt, counts, chinese, cancellationToken);
        }
    }

    /// <summary>One CSV cell of text: quoted per RFC 4180 where needed, and never the start of a formula.</summary>
    public static string Text(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        // A spreadsheet runs a cell starting with = + - @ (or a tab or carriage return before one) as a formula.
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || value[0] == ' ' || value[^1] == ' '
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }

    private static string[] Audit(ExportAuditEntry a) =>
        [Number(a.Sequence), Time(a.At), Text(a.Actor), Text(a.Action), Text(a.Field), Text(a.Purpose), Text(a.Detail)];

    // Numbers and times are formatted here, never taken from input, so they skip the formula guard (a negative longitude stays a number).
    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Time(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset? value) => value is { } time ? Time(time) : string.Empty;

    private static async IAsyncEnumerable<string[]> Rows(IEnumerable<string[]> rows)
    {
        foreach (var row in rows)
        {
            yield return row;
        }

        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<string[]> Map<T>(IAsyncEnumerable<T> source, Func<T, string[]> map)
    {
        await foreach (var item in source)
        {
            yield return map(item);
        }
    }

    private static async Task CsvAsync(
        ZipArchive zip, string name, string[] columns, IAsyncEnumerable<string[]> rows, Dictionary<string, int> counts, CancellationToken cancellationToken)
    {
        await using var entry = await zip.CreateEntry(name, CompressionLevel.Fastest).OpenAsync(cancellationToken);
        await using var writer = new StreamWriter(entry, Utf8WithBom, bufferSize: 32 * 1024);
        await writer.WriteAsync(string.Join(',', columns) + "\r\n");
        var count = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await writer.WriteAsync(string.Join(',', row) + "\r\n");
            count++;
        }

        counts[name] = count;
    }
}

/// <summary>
/// Between the archive and the response body. The archive writes its small records (entry headers, data
/// descriptors, the central directory) synchronously, which the server refuses; this stream keeps
/// those in memory and sends everything on with the next asynchronous write or drain, so the body
/// only ever sees asynchronous writes and at most one chunk waits here.
/// </summary>
internal sealed class DrainingStream(Stream body) : Stream
{
    private const int Chunk = 64 * 1024;
    private readonly MemoryStream pending = new();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => pending.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => pending.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        pending.Write(buffer.Span);
        if (pending.Length >= Chunk)
        {
            await DrainAsync(cancellationToken);
        }
    }

    /// <summary>Sends whatever is waiting to the body.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        if (pending.Length > 0)
        {
            await body.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), cancellationToken);
            pending.SetLength(0);
        }

        await body.FlushAsync(cancellationToken);
    }

    // Flushing is the archive's cue between records; the data goes on at the next drain instead of blocking here.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => DrainAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pending.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>The readable page of the zip: the small sections in full, the large ones counted with the CSV file that holds them.</summary>
internal static class ExportPage
{
    public static async Task WriteAsync(
        StreamWriter html, DataExport export, ExportAccount account, ExportPositioning? positioning, ExportNotificationLanguage? language, ExportGuardian? guardian,
        DateTimeOffset generatedAt,
        IReadOnlyDictionary<string, int> counts, bool chinese, CancellationToken cancellationToken)
    {
        var e = HtmlEncoder.Default;
        string T(string en, string zh) => chinese ? zh : en;
        await html.WriteAsync($"<!DOCTYPE html>\n<html lang=\"{(chinese ? "zh-CN" : "en")}\"><head><meta charset=\"utf-8\"><title>{T("Your data at Konzen", "您在 Konzen 的数据")}</title></head><body>\n");
        await html.WriteAsync($"<h1>{T("Your data at Konzen", "您在 Konzen 的数据")}</h1>\n<p>{T("Generated", "生成时间")}: {e.Encode(generatedAt.ToString("O", CultureInfo.InvariantCulture))}. {T("The complete data is in data.json and the CSV files.", "完整数据见 data.json 和 CSV 文件。")}</p>\n");

        await html.WriteAsync($"<h2>{T("Account", "账户")}</h2>\n<table>\n");
        await Row(html, e, T("Subject id", "用户标识"), account.SubjectId.ToString());
        await Row(html, e, T("Region", "地区"), account.Region);
        await Row(html, e, T("Created", "创建时间"), account.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        foreach (var field in account.Fields)
        {
            await Row(html, e, field.Category, field.Value ?? string.Empty);
        }

        await Row(html, e, T("Positioning", "定位"), (positioning?.On ?? true) ? T("on", "开启") : T("off", "关闭"));
        await Row(html, e, T("Notification language", "通知语言"), language?.Language ?? T("not chosen (English)", "未选择（英文）"));
        await html.WriteAsync("</table>\n");

        if (guardian is not null)
        {
            string YesNo(bool value) => value ? T("yes", "是") : T("no", "否");
            await html.WriteAsync($"<h2>{T("Your guardian", "您的监护人")}</h2>\n<table>\n");
            await Row(html, e, T("Minor now", "目前未成年"), YesNo(guardian.Minor));
            await Row(html, e, T("Child now", "目前为儿童"), YesNo(guardian.Child));
            await Row(html, e, T("A minor's account since", "标记为未成年人账户的时间"), guardian.MarkedAt.ToString("O", CultureInfo.InvariantCulture));
            await Row(html, e, T("Guardian's channel", "监护人联系方式"), guardian.Channel switch
            {
                "email" => T("email", "电子邮件"),
                "phone" => T("phone", "手机"),
                _ => T("none named", "未指定"),
            });
            await Row(html, e, T("Guardian's address", "监护人地址"), guardian.Address ?? string.Empty);
            await Row(html, e, T("Guardian verified", "监护人已验证"),
                guardian.VerifiedAt is { } verifiedAt ? verifiedAt.ToString("O", CultureInfo.InvariantCulture) : T("not yet", "尚未验证"));
            await html.WriteAsync("</table>\n");
        }

        await html.WriteAsync($"<h2>{T("Consents", "同意记录")}</h2>\n<table>\n");
        await foreach (var c in export.ConsentsAsync(account.SubjectId, cancellationToken))
        {
            // A guardian's choice is marked as such: the subject should see which choices were not their own.
            var by = c.Method == ConsentMethod.Guardian ? T(" (by your guardian)", "（由您的监护人）") : string.Empty;
            await Row(html, e, c.At.ToString("O", CultureInfo.InvariantCulture), $"{c.Purpose}: {(c.Granted ? T("given", "同意") : T("withdrawn", "撤回"))}{by}");
        }

        await html.WriteAsync("</table>\n");

        // Who may receive data that identifies the subject is a choice it should see at a glance, not only as a count.
        await html.WriteAsync($"<h2>{T("Identifying data you authorized", "您授权提供的身份识别信息")}</h2>\n<table>\n");
        await foreach (var a in export.IdentifyingAuthorizationsAsync(account.SubjectId).WithCancellation(cancellationToken))
        {
            await Row(html, e, a.At.ToString("O", CultureInfo.InvariantCulture),
                a.Granted ? $"{a.RecipientName}: {T("authorized", "已授权")} {string.Join(", ", a.Categories)}" : $"{a.RecipientName}: {T("revoked", "已撤回")}");
        }

        await html.WriteAsync("</table>\n");

        await html.WriteAsync($"<h2>{T("Staff who accessed your data", "访问过您数据的工作人员")}</h2>\n<table>\n");
        await foreach (var a in export.AuditAsync(account.SubjectId, staff: true).WithCancellation(cancellationToken))
        {
            await Row(html, e, a.At.ToString("O", CultureInfo.InvariantCulture), $"{a.Actor} {a.Action} {a.Field} {a.Purpose}");
        }

        await html.WriteAsync("</table>\n");

        await html.WriteAsync($"<h2>{T("Everything else, by file", "其他数据（按文件）")}</h2>\n<table>\n");
        foreach (var (file, count) in counts)
        {
            await Row(html, e, file, count.ToString(CultureInfo.InvariantCulture));
        }

        await html.WriteAsync("</table>\n</body></html>\n");
    }

    private static Task Row(StreamWriter html, HtmlEncoder e, string label, string value) =>
        html.WriteAsync($"<tr><th>{e.Encode(label)}</th><td>{e.Encode(value)}</td></tr>\n");
}
