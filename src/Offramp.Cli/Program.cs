using System.CommandLine;
using System.Reflection;

namespace Offramp.Cli;

/// <summary>Entry point of the <c>offramp</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code: 0 success, 1 training failure, 2 usage,
    /// config or checkpoint error, 3 missing data (<see cref="ExitCodes"/>).</summary>
    public static int Main(string[] args)
    {
        var parse = BuildRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                Console.Error.WriteLine($"offramp: error: {e.Message}");
            }

            Console.Error.WriteLine("see `offramp --help` or `offramp COMMAND --help`");
            return ExitCodes.Usage;
        }

        return parse.Invoke();
    }

    /// <summary>The command tree (public for tests).</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Offramp: early-exit neural networks — train, calibrate and run multi-exit models on the CPU.");
        var version = new Command("version", "Print the Offramp version, runtime and SIMD support.");
        version.SetAction(_ =>
        {
            var v = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"offramp {v}");
            Console.WriteLine($".NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            Console.WriteLine($"cores {Environment.ProcessorCount}, AVX-512F {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}, AVX2 {System.Runtime.Intrinsics.X86.Avx2.IsSupported}, FMA {System.Runtime.Intrinsics.X86.Fma.IsSupported}");
            return 0;
        });
        root.Subcommands.Add(version);
        var threads = new Option<int?>("--threads")
        {
            Description = "Kernel threads [all cores]; results are identical for any value",
            Recursive = true,
            HelpName = "N",
        };
        threads.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--threads must be at least 1");
            }
        });
        root.Options.Add(threads);
        root.Subcommands.Add(TrainCommand.Build(threads));
        root.Subcommands.Add(EvalCommand.Build(threads));
        root.Subcommands.Add(ModelsCommand.Build());
        root.Subcommands.Add(Commands.BenchCommand.Create(threads));
        root.Subcommands.Add(Commands.CalibrateCommand.Build(threads));
        root.Subcommands.Add(Commands.PredictCommand.Build(threads));
        root.Subcommands.Add(Commands.ReportCommand.Build(threads));
        root.Subcommands.Add(Commands.CompareCommand.Build(threads));
        return root;
    }
}
