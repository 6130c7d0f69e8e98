using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Konzen.Privacy.Testing;

/// <summary>A real SMTP server on a free loopback port, in-process, that keeps what it receives.</summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer server;
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;
    private readonly Inbox inbox = new();

    public TestSmtpServer()
    {
        Port = FreePort();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Port(Port).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(inbox);
        server = new SmtpServer.SmtpServer(options, services);
        running = server.StartAsync(stop.Token);
    }

    public int Port { get; }

    /// <summary>How many messages the server refused so far (see <see cref="RefuseNext"/>).</summary>
    public int Refused => inbox.Refused;

    /// <summary>Answers the next <paramref name="count"/> messages with a temporary refusal (421) instead of keeping them.</summary>
    public void RefuseNext(int count) => inbox.RefuseNext(count);

    /// <summary>Every message received so far, in order.</summary>
    public IReadOnlyList<MimeMessage> Messages => [.. inbox.Messages];

    /// <summary>Waits until at least <paramref name="count"/> messages have arrived.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (inbox.Messages.Count < count)
        {
            await inbox.Arrived.WaitAsync(deadline.Token);
        }

        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        server.Shutdown();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }

        stop.Dispose();
        inbox.Arrived.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private sealed class Inbox : MessageStore
    {
        public ConcurrentQueue<MimeMessage> Messages { get; } = new();

        private readonly Lock gate = new();
        private int toRefuse;

        public SemaphoreSlim Arrived { get; } = new(0);

        public int Refused { get; private set; }

        public void RefuseNext(int count)
        {
            lock (gate)
            {
                toRefuse = count;
            }
        }

        public override async Task<SmtpResponse> SaveAsync(
            ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            lock (gate)
            {
                if (toRefuse > 0)
                {
                    toRefuse--;
                    Refused++;
                    return new SmtpResponse(SmtpReplyCode.ServiceUnavailable, "Service not available, try again later");
                }
            }

            using var stream = new MemoryStream(buffer.ToArray());
            Messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            Arrived.Release();
            return SmtpResponse.Ok;
        }
    }
}
