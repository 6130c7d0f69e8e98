using Konzen.Privacy.Notices;
using Konzen.Privacy.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Konzen.Privacy.Tests.Notices;

public sealed class EmailSenderTests
{
    [Fact]
    [Trait("Clause", "S2.1")]
    public async Task SendAsync_ToRealSmtpServer_DeliversAndLogsNoPersonalData()
    {
        await using var smtp = new TestSmtpServer();
        using var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(logs));
        var sender = new EmailSender(
            Options.Create(new EmailOptions { Host = "127.0.0.1", Port = smtp.Port, From = "privacy@konzen.example" }),
            factory.CreateLogger<EmailSender>());

        await sender.SendAsync(new EmailMessage("li.wei@example.cn", "Your code", "Your code is 493027."), TestContext.Current.CancellationToken);

        var message = Assert.Single(await smtp.WaitForAsync(1, TimeSpan.FromSeconds(10)));
        Assert.Equal("li.wei@example.cn", message.To.Mailboxes.Single().Address);
        Assert.Equal("Your code", message.Subject);
        Assert.Contains("493027", message.TextBody, StringComparison.Ordinal);
        Assert.NotEmpty(logs.Lines);
        Assert.All(logs.Lines, line =>
        {
            Assert.DoesNotContain("li.wei", line, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("493027", line, StringComparison.Ordinal);
        });
    }
}
