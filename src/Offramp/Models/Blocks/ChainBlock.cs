using Offramp.Engine.Nn;

namespace Offramp.Models.Blocks;

/// <summary>One block of a <see cref="BlockChainModel"/>: its module, dotted name, MACs per sample and output shape
/// for the model's input size.</summary>
/// <param name="Name">Dotted name, e.g. <c>trunk_output.block2.block2-0</c> or <c>features.4</c>.</param>
/// <param name="Module">The block (input → output feature map).</param>
/// <param name="Macs">Multiply–accumulates per sample.</param>
/// <param name="C">Output channels.</param>
/// <param name="H">Output height.</param>
/// <param name="W">Output width.</param>
public sealed record ChainBlock(string Name, Module Module, long Macs, int C, int H, int W);
