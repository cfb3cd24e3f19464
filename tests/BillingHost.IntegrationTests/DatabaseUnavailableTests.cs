using System.Net.Sockets;
using BillingHost.Hosting;
using Npgsql;

namespace BillingHost.IntegrationTests;

/// <summary>
/// Which failures the host answers with 503 <c>database_unavailable</c>. The end-to-end behaviour (PostgreSQL stopped
/// under a running host) is <c>PostgresRestartTests</c> in the fault suite.
/// </summary>
public class DatabaseUnavailableTests
{
    [Fact]
    public void IsDatabaseUnavailable_TransientNpgsqlErrorWrappedByEntityFramework_True()
    {
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
        var wrapped = new InvalidOperationException("An exception has been raised that is likely due to a transient failure.", refused);

        Assert.True(DatabaseUnavailableHandler.IsDatabaseUnavailable(wrapped));
    }

    [Fact]
    public void IsDatabaseUnavailable_ProgrammingErrorOrNonTransientDatabaseError_False()
    {
        Assert.False(DatabaseUnavailableHandler.IsDatabaseUnavailable(new InvalidOperationException("a bug")));
        Assert.False(DatabaseUnavailableHandler.IsDatabaseUnavailable(new NpgsqlException("syntax error")));
    }
}
