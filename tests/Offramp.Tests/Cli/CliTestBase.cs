using Offramp.Cli;
using Offramp.Models;
using Offramp.Tests.Training;

namespace Offramp.Tests.Cli;

/// <summary>CLI tests redirect the process-wide console, so they never run in parallel with each other.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection
{
}

/// <summary>Runs the <c>offramp</c> command in-process with captured output, the model registry replaced by a tiny
/// "tiny" model.</summary>
public abstract class CliTestBase : IDisposable
{
    private readonly Func<string, ModelOptions, MultiExitModel> _savedFactory = CliServices.CreateModel;

    protected CliTestBase()
    {
        CliServices.CreateModel = (name, o) => name == "tiny"
            ? new TinyMultiExit(o.Seed + 1, o.NumClasses, hidden: 8, dropout: 0.1, inputShape: o.InputShape)
            : throw new ArgumentException($"unknown model '{name}'; known models: tiny");
    }

    protected sealed record Result(int Code, string Out, string Err);

    protected static Result Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var o = new StringWriter();
        var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int code = Program.Main(args);
            return new Result(code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    public void Dispose()
    {
        CliServices.CreateModel = _savedFactory;
        GC.SuppressFinalize(this);
    }
}
