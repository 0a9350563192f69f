using System.CommandLine;
using Offramp.Models;

namespace Offramp.Cli;

/// <summary><c>offramp models</c>: the registered models (the names <c>--model</c> accepts).</summary>
internal static class ModelsCommand
{
    public static Command Build()
    {
        var cmd = new Command("models", "List the registered models (the names --model accepts).");
        cmd.SetAction(_ =>
        {
            if (ModelRegistry.All.Count == 0)
            {
                Console.WriteLine("no models are registered yet");
            }

            foreach (var m in ModelRegistry.All)
            {
                Console.WriteLine($"{m.Name,-24} {m.Family,-16} {m.Description}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
