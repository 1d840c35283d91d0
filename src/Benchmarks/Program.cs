using BenchmarkDotNet.Running;

// Micro-benchmarks of the pure protocol code (BenchmarkDotNet). Run in Release:
//   dotnet run -c Release --project src/Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
