namespace InstanceDemo;

/// <summary>
/// The entry point, in the app's namespace rather than top-level statements: the browser test references both sample
/// apps, and two top-level <c>Program</c> classes would collide there.
/// </summary>
internal static class Program
{
    public static Task Main(string[] args) => DemoApp.Build(args).RunAsync();
}
