// Autodiff benchmarks (BenchmarkDotNet). Results and how to read them: docs/benchmarks.md.
//
//   dotnet run -c Release --project bench/Autodiff.Bench -- --filter '*'              full run (a few minutes)
//   dotnet run -c Release --project bench/Autodiff.Bench -- --filter '*' --job Dry    smoke run (CI)
//
// Each class compares the tape (forward + backward) with a plain-double baseline in the same run; the ratio
// column is what matters on a shared, noisy machine. The exit code is 1 if any benchmark failed to build or run.

using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

//   dotnet run -c Release --project bench/Autodiff.Bench -- chart                        docs/benchmarks-training.png from the reports

if (args.Length > 0 && args[0] == "chart")
{
    return Autodiff.Bench.ResultsChart.Write(
        args.Length > 1 ? args[1] : Path.Combine("BenchmarkDotNet.Artifacts", "results"),
        args.Length > 2 ? args[2] : Path.Combine("..", "..", "docs", "benchmarks-training.png"));
}

IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
bool anyFailed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
return anyFailed ? 1 : 0;
