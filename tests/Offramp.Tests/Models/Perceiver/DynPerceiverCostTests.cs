using Offramp.Models.Perceiver;

namespace Offramp.Tests.Models.Perceiver;

/// <summary>
/// The exit costs against a hand count in the official forward_calc_flops convention (papers/dynamic-perceiver.md
/// §A.5), for the fixture model resnet10_all: ResNet basic blocks [1,1,1,1] at width 0.125, input 3×32×32, small
/// stem, K = 10, L = 16 → tokens [16, 8, 4, 2], C = [8, 8, 16, 32], C_out = 64, maps X0..X4 = 8×32², 8×32², 16×16²,
/// 32×8², 64×4².
/// Formulas: conv O·OH·OW·Cin·k²; MHA(lq, lkv) = q_in·qk·lq + 2·kv_in·qk·lkv + qk·lq·lkv + lq·lkv·v + v·out·lq;
/// MLP = 2·L·C·wC; SA layer (w = 4) = 12·C²·L + 2·C·L²; dwc C·H·W·49; pool C·H·W; mixer C·L·L' + L·C·C';
/// token-mean L·C; Linear in·out.
/// </summary>
public class DynPerceiverCostTests
{
    [Fact]
    public void Exits_Resnet10AllFlags_MatchHandCount()
    {
        var model = DpFixture.Load("resnet10_all").Build();

        // Segment 0 (exit early3).
        long stem = 8L * 32 * 32 * 3 * 9;                                              // 221,184
        long x2z1 = 8L * 32 * 32 * 49 + 8 * 1024                                       // dwc + pool
            + (8 * 8 * 16 + 2 * 8 * 8 * 49 + 8 * 16 * 49 + 16 * 49 * 8 + 8 * 8 * 16)   // MHA(16, 49), C = 8
            + 2 * 16 * 8 * 8;                                                          // MLP w = 1
        long sa1 = 3 * (12L * 8 * 8 * 16 + 2 * 8 * 16 * 16);
        long stage1 = 2 * (8L * 32 * 32 * 8 * 9);
        long mix0 = 8 * 16 * 8 + 16 * 8 * 8;
        long z2x2 = (8L * 1 * 1024 + 2 * 8 * 1 * 8 + 1 * 1024 * 8 + 1024 * 8 * 1 + 1 * 8 * 1024) + 2L * 1024 * 8 * 8;
        long x2z2 = 8L * 1024 * 49 + 8 * 1024 + (8 * 8 * 8 + 2 * 8 * 8 * 49 + 8 * 8 * 49 + 8 * 49 * 8 + 8 * 8 * 8) + 2 * 8 * 8 * 8;
        long sa2 = 3 * (12L * 8 * 8 * 8 + 2 * 8 * 8 * 8);
        long stage2 = 16L * 256 * 8 * 9 + 16L * 256 * 16 * 9 + 16L * 256 * 8;           // conv1, conv2, downsample
        long mix1 = 8 * 8 * 4 + 8 * 8 * 16;
        long z2x3 = (16L * 2 * 256 + 2 * 16 * 2 * 4 + 2 * 256 * 4 + 256 * 4 * 2 + 2 * 16 * 256) + 2L * 256 * 16 * 16;
        long x2z3 = 16L * 256 * 49 + 16 * 256 + (16 * 16 * 4 + 2 * 16 * 16 * 49 + 16 * 4 * 49 + 4 * 49 * 16 + 16 * 16 * 4) + 2 * 4 * 16 * 16;
        long sa3 = 9 * (12L * 16 * 16 * 4 + 2 * 16 * 4 * 4);
        long early3 = 16 * 10;
        long seg0 = stem + x2z1 + sa1 + stage1 + mix0 + z2x2 + x2z2 + sa2 + stage2 + mix1 + z2x3 + x2z3 + sa3 + early3;
        Assert.Equal(3_920_416, seg0);

        // Segment 1 (exit att): stage 3, ψ_3, Z2X_4, X2Z_4, SA_4, token-mean, isc3, classifier_att.
        long stage3 = 32L * 64 * 16 * 9 + 32L * 64 * 32 * 9 + 32L * 64 * 16;
        long mix2 = 16 * 4 * 2 + 4 * 16 * 32;
        long z2x4 = (32L * 4 * 64 + 2 * 32 * 4 * 2 + 4 * 64 * 2 + 64 * 2 * 4 + 4 * 32 * 64) + 2L * 64 * 32 * 32;
        long x2z4 = 32L * 64 * 49 + 32 * 64 + (32 * 32 * 2 + 2 * 32 * 32 * 49 + 32 * 2 * 49 + 2 * 49 * 32 + 32 * 32 * 2) + 2 * 2 * 32 * 32;
        long sa4 = 3 * (12L * 32 * 32 * 2 + 2 * 32 * 2 * 2);
        long seg1 = stage3 + mix2 + z2x4 + x2z4 + sa4 + 2 * 32 + 10 * 32 + 2 * 32 * 10;
        Assert.Equal(1_361_408, seg1);

        // Segment 2 (exit cnn): stage 4, global pool, classifier_cnn.
        long stage4 = 64L * 16 * 32 * 9 + 64L * 16 * 64 * 9 + 64L * 16 * 32;
        long seg2 = stage4 + 64 * 16 + 64 * 10;
        Assert.Equal(919_168, seg2);

        // Segment 3 (exit merge): last Z2X (q 64, kv 32, qk = v = 8) + pool, isc4, merge Linear (64 + 2·32 → 10).
        long lastZ2X = (64L * 8 * 16 + 2 * 32 * 8 * 2 + 8 * 16 * 2 + 16 * 2 * 8 + 8 * 64 * 16) + 2L * 16 * 64 * 64;
        long seg3 = lastZ2X + 64 * 16 + 10 * 32 + 128 * 10;
        Assert.Equal(151_616, seg3);

        Assert.Equal([seg0, seg0 + seg1, seg0 + seg1 + seg2, seg0 + seg1 + seg2 + seg3], model.Exits.Select(e => e.Macs));
        Assert.Equal(["early3", "att", "cnn", "merge"], model.Exits.Select(e => e.Name));
    }

    [Fact]
    public void Exits_WithoutZ2XAndLastCA_CostLess()
    {
        var all = DpFixture.Load("resnet10_all").Build();
        var off = DpFixture.Load("resnet10_off").Build();
        for (int k = 0; k < 4; k++)
        {
            Assert.True(off.Exits[k].Macs < all.Exits[k].Macs, $"exit {k}: {off.Exits[k].Macs} vs {all.Exits[k].Macs}");
        }
    }
}
