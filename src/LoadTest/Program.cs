using Myelin.LoadTest;
using Myelin.LoadTest.Cli;
using Myelin.LoadTest.Reporting;
using Myelin.LoadTest.Results;

switch (CommandLineParser.Parse(args))
{
    case HelpCommand:
        Console.Out.WriteLine(CommandLineParser.Usage);
        return LoadTestRunner.ExitOk;

    case UsageError error:
        Console.Error.WriteLine($"error: {error.Message}\n");
        Console.Error.WriteLine(CommandLineParser.Usage);
        return LoadTestRunner.ExitUsage;

    case CompareCommand compare:
        try
        {
            var a = RunResult.Load(compare.BaselinePath);
            var b = RunResult.Load(compare.CandidatePath);
            Console.Out.Write(ResultComparer.Format(a, b, Path.GetFileName(compare.BaselinePath), Path.GetFileName(compare.CandidatePath)));
            return LoadTestRunner.ExitOk;
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return LoadTestRunner.ExitUsage;
        }

    case ReportCommand report:
        try
        {
            var result = RunResult.Load(report.ResultPath);
            var path = report.ReportPath ?? Path.ChangeExtension(report.ResultPath, ".html");
            File.WriteAllText(path, HtmlReport.Render(result));
            Console.Out.WriteLine($"report: {path}");
            return LoadTestRunner.ExitOk;
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return LoadTestRunner.ExitUsage;
        }

    case RunCommand run:
        using (var cts = new CancellationTokenSource())
        {
            Console.CancelKeyPress += (_, e) =>
            {
                // First Ctrl+C stops the run and still writes results; a second one kills the process.
                if (!cts.IsCancellationRequested)
                {
                    e.Cancel = true;
                    cts.Cancel();
                }
            };
            var runner = new LoadTestRunner(Console.Out, Console.Error, progressInPlace: !Console.IsErrorRedirected);
            return await runner.RunAsync(run.Options, cts.Token);
        }

    default:
        return LoadTestRunner.ExitUsage;
}
