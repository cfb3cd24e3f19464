using System.Net.Sockets;
using System.Text;
using BillingHost.IntegrationTests.Support;

namespace BillingHost.IntegrationTests;

/// <summary>
/// What a client gets for requests Kestrel itself cannot accept, over a real socket. Kestrel answers these before any
/// middleware runs (so no problem details, no <c>code</c>: the documented limit in docs/reliability.md), but never a 5xx;
/// a request Kestrel does accept reaches the app's problem-details writer.
/// </summary>
public class KestrelLimitsTests
{
    [Fact]
    public async Task ConnectionLevelErrors_RealSocket_AnsweredByKestrelWith4xxAndNoBody()
    {
        await using var factory = new HostFactory(kestrel: true);
        var address = factory.ServerAddress;

        var badRequestLine = await SendRawAsync(address, "GARBAGE\r\n\r\n");
        var longUrl = await SendRawAsync(address, $"GET /api/{new string('a', 20_000)} HTTP/1.1\r\nHost: x\r\n\r\n");
        var hugeHeader = await SendRawAsync(address, $"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: {new string('b', 40_000)}\r\n\r\n");
        var nulInPath = await SendRawAsync(address, "GET /api/organizations/%00/status HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", badRequestLine, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 414", longUrl, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 431", hugeHeader, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 400", nulInPath, StringComparison.Ordinal);
        Assert.All(new[] { badRequestLine, longUrl, hugeHeader, nulInPath }, answer => Assert.Contains("Content-Length: 0", answer, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task UnmatchedRoute_RealSocket_AnswersProblemDetailsWithCode()
    {
        await using var factory = new HostFactory(kestrel: true);

        var answer = await SendRawAsync(factory.ServerAddress, "GET /api/no-such-route HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 404", answer, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"code\":\"not_found\"", answer, StringComparison.Ordinal);
    }

    private static async Task<string> SendRawAsync(Uri address, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        }
        catch (IOException)
        {
            // Kestrel may answer and close before it has read all of an oversized request.
        }

        var buffer = new byte[16_384];
        var answer = new StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
                if (answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && !request.Contains("Connection: close", StringComparison.Ordinal))
                {
                    break; // the status line and headers are all a connection-level answer has
                }
            }
        }
        catch (IOException) when (answer.Length > 0)
        {
            // The server reset the connection after answering.
        }

        return answer.ToString();
    }
}
