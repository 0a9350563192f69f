using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Offramp.Bench;

namespace Offramp.Cli.Commands;

/// <summary>
/// <c>offramp bench</c>: the peer benchmark of <c>../shared/bench/torch_bench.py models</c> on Offramp's engine, with
/// the same models, figures, table layout and JSON keys, so <c>tools/bench-vs-torch.sh</c> can compare them.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(Option<int?> threads)
    {
        var models = new Option<string>("--model", "--models")
        {
            Description = $"Comma-separated models: {string.Join(", ", BenchModels.Names)}",
            DefaultValueFactory = _ => "cnn,vit,dp",
        };
        var inputs = new Option<string>("--input", "--inputs")
        {
            Description = "Comma-separated inputs: fm = 1×28×28, c10 = 3×32×32",
            DefaultValueFactory = _ => "fm,c10",
        };
        var quick = new Option<bool>("--quick") { Description = "Fewer repetitions (the script's --quick)" };
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the results as JSON (the script's keys)" };
        var vitDepth = new Option<int>("--vit-depth") { Description = "Depth of vit", DefaultValueFactory = _ => 6 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights and inputs", DefaultValueFactory = _ => 0 };
        var keepGrads = new Option<bool>("--keep-grads")
        {
            Description = "Training step: zero-fill and reuse gradients (ZeroGrad(setToNone: false)) instead of " +
                "PyTorch's zero_grad(set_to_none=True)",
        };

        var cmd = new Command("bench", "Time the peer-benchmark models (latency, throughput, training) as torch_bench.py does.")
        {
            models, inputs, quick, outFile, vitDepth, seed, keepGrads,
        };
        cmd.SetAction(parse =>
        {
            // The global --threads; unlike train, bench defaults to 1 thread, as the peer script does.
            int n = parse.GetValue(threads) ?? 1;
            if (n < 1)
            {
                Console.Error.WriteLine($"bench: --threads must be at least 1, got {n}");
                return 2;
            }

            var modelNames = Split(parse.GetValue(models)!);
            var inputList = Split(parse.GetValue(inputs)!);
            foreach (var m in modelNames.Where(m => !BenchModels.Names.Contains(m)))
            {
                Console.Error.WriteLine($"bench: unknown model '{m}' (known: {string.Join(", ", BenchModels.Names)})");
                return 2;
            }

            foreach (var i in inputList.Where(i => BenchInput.All.All(b => b.Name != i)))
            {
                Console.Error.WriteLine($"bench: unknown input '{i}' (known: {string.Join(", ", BenchInput.All.Select(b => b.Name))})");
                return 2;
            }

            var options = BenchOptions.For(n, parse.GetValue(quick)) with
            {
                VitDepth = parse.GetValue(vitDepth),
                Seed = parse.GetValue(seed),
                ZeroGradSetToNone = !parse.GetValue(keepGrads),
            };
            Run(modelNames, inputList, options, parse.GetValue(outFile));
            return 0;
        });
        return cmd;
    }

    private static string[] Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Run(string[] models, string[] inputs, BenchOptions options, FileInfo? outFile)
    {
        var env = ModelBench.EnvironmentJson(options.Threads);
        Console.WriteLine($"# threads={options.Threads} engine=offramp .NET {env["dotnet"]} avx512f={env["avx512f"]} " +
            $"zero_grad(set_to_none)={options.ZeroGradSetToNone}");
        Console.WriteLine(BenchTable.Header);
        var results = new List<BenchResult>();
        var json = new JsonObject { ["env"] = env, ["results"] = new JsonArray() };
        foreach (var inputName in inputs)
        {
            var input = BenchInput.Parse(inputName);
            foreach (var model in models)
            {
                var r = ModelBench.Run(model, input, options);
                results.Add(r);
                Console.WriteLine(BenchTable.Row(r));
                json["results"]!.AsArray().Add(r.ToJson());
                if (outFile is not null)
                {
                    File.WriteAllText(outFile.FullName, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine(BenchTable.MemoryHeader);
        foreach (var r in results)
        {
            Console.WriteLine(BenchTable.MemoryRow(r));
        }
    }
}
