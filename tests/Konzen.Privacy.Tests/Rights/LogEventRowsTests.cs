using System.Buffers;
using System.Text;
using System.Text.Json;
using Konzen.Privacy.Rights;

namespace Konzen.Privacy.Tests.Rights;

public sealed class LogEventRowsTests
{
    [Fact]
    public void WritePayload_AllParts_CopiesThemWithEscapesAsWritten()
    {
        var payload = Payload(json =>
        {
            json.WriteString("page", "/search?q=\"域名\"&x=<1>");
            json.WriteString("target", "result-1");
            json.WriteStartObject("data");
            json.WriteString("lang", "zh-CN");
            json.WriteString("screen", "1920x1080");
            json.WriteEndObject();
        });

        var written = Write(payload);

        using var document = JsonDocument.Parse(written);
        var root = document.RootElement;
        Assert.Equal("/search?q=\"域名\"&x=<1>", root.GetProperty("page").GetString());
        Assert.Equal("result-1", root.GetProperty("target").GetString());
        Assert.Equal("zh-CN", root.GetProperty("data").GetProperty("lang").GetString());
        Assert.Equal("1920x1080", root.GetProperty("data").GetProperty("screen").GetString());

        // The same bytes a parse-and-rewrite with the writer's defaults would give.
        Assert.Contains(Encoding.UTF8.GetString(payload[1..payload.IndexOf((byte)',')]), written, StringComparison.Ordinal);
    }

    [Fact]
    public void WritePayload_NoParts_WritesNullsAndAnEmptyObject()
    {
        var written = Write(Payload(_ => { }));

        Assert.Equal("{\"page\":null,\"target\":null,\"data\":{}}", written);
    }

    private static byte[] Payload(Action<Utf8JsonWriter> parts)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            parts(json);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string Write(byte[] payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            LogEventRows.WritePayload(json, payload);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
