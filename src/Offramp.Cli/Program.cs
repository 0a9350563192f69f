using System.CommandLine;
using System.Reflection;

namespace Offramp.Cli;

/// <summary>Entry point of the <c>offramp</c> command.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

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
        root.Subcommands.Add(Commands.BenchCommand.Create());
        return root;
    }
}
