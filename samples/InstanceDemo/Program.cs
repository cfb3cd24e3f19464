using InstanceDemo;

await DemoApp.Build(args).RunAsync();
