using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace VaultAI.Billing.Client.Tests;

/// <summary>
/// The C# examples of the client's README compile against the client as it is, as a reader would paste them into an
/// ASP.NET Core project: a README edit or an API change that breaks one fails here, naming the compiler error.
/// </summary>
public sealed class ReadmeExampleTests
{
    // What a reader's web project already has: its implicit usings (web SDK), the client's and EF Core's namespaces, and the types
    // the examples take as the reader's own (a DbContext with users and tenants, a call record).
    private const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.Http;
        using Microsoft.EntityFrameworkCore;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Logging;
        using VaultAI.Billing.Client;

        public sealed class User { public int Id { get; set; } public bool IsActive { get; set; } }
        public sealed class Tenant { public Guid Id { get; set; } public string Name { get; set; } = ""; public string PublicUrl { get; set; } = ""; public string? AdminEmail { get; set; } }
        public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
        {
            public DbSet<User> Users => Set<User>();
            public DbSet<Tenant> Tenants => Set<Tenant>();
        }
        public sealed record Call(string Id, decimal Minutes, DateTimeOffset EndedAt);

        """;

    [Fact]
    public void ClientReadme_CSharpExamples_Compile()
    {
        var readme = File.ReadAllText(ReadmePath()).ReplaceLineEndings("\n");
        var blocks = Regex.Matches(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 6, $"the README has its C# examples ({blocks.Count} found)");

        // Type declarations go to the file as they are; statements go into a method that has what they use in scope.
        var declarations = blocks.Where(b => b.TrimStart().StartsWith("public ", StringComparison.Ordinal)).ToList();
        var statements = blocks.Except(declarations).Select((block, i) => $$"""
            public static async Task Example{{i}}(WebApplicationBuilder builder, WebApplication app, IUsageRecorderClient usage, ILogger logger, CancellationToken ct)
            {
                await Task.Yield();
            {{block}}
            }
            """);
        var source = Prelude + string.Join("\n", declarations) + "\npublic static class Statements\n{\n" + string.Join("\n", statements) + "\n}\n";

        var compilation = CSharpCompilation.Create(
            "ClientReadmeExamples",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "README examples do not compile:\n" + string.Join("\n", errors) + "\n\n" + source);
    }

    /// <summary>Every assembly this test runs with: the framework, ASP.NET Core, EF Core and the client.</summary>
    private static List<MetadataReference> References() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList();

    private static string ReadmePath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var readme = Path.Combine(directory.FullName, "src", "VaultAI.Billing.Client", "README.md");
            if (File.Exists(readme))
            {
                return readme;
            }
        }

        throw new Xunit.Sdk.XunitException($"src/VaultAI.Billing.Client/README.md not found above {AppContext.BaseDirectory}.");
    }
}
