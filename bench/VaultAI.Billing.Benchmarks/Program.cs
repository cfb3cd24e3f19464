using BenchmarkDotNet.Running;

// Examples (see bench/README.md):
//   dotnet run -c Release -- --filter '*' --job short
//   dotnet run -c Release -- --filter '*WebhookSignature*' --job short
BenchmarkSwitcher.FromAssembly(typeof(VaultAI.Billing.Benchmarks.Fixtures).Assembly).Run(args);
