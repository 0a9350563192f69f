#!/usr/bin/env python3
"""A PyTorch re-implementation of the Dynamic Perceiver for Offramp's parity tests.

Written from the paper (Han et al., "Dynamic Perceiver for Efficient Visual Recognition", ICCV 2023) and the
description in /work/shared/papers/dynamic-perceiver.md (§A.1-A.3), mirroring the official module names so that its
state dict has the official keys (cnn_stem.*, cnn_body_stage{1..4}.*, latent, dwc{i}_x2z, cross_att{i}_x2z,
cross_att{i}_z2x, self_att{i}.{j}.*, last_cross_att_z2x, early_classifier3, isc3, classifier_att, isc4,
classifier_merge, token_expander.{i}, token_mixer.{i}). It is a test oracle, never a runtime dependency of Offramp.

Feature branches: "resnet" (below), "regnet" (torchvision's RegNet: cnn_stem = stem, cnn_body = trunk_output, avgpool,
classifier_cnn = fc) and "mobilenet" (torchvision's mobilenet_v3_large: cnn_stem = features[0:3], cnn_body_stage1..4
= features[3:5], [5:8], [8:14], [14:17] as ModuleLists, avgpool, a new classifier_cnn and the wider merge head).

The ResNet feature branch here is a torchvision-named ResNet (BasicBlock / Bottleneck "V1.5", width multiplier as timm's
channel_multiplier: int(w*64) stem, int(w*planes) per stage); inputs under 64 pixels use a 3x3 stride-1 stem without
max pool, as Offramp's ResNet does for small images.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------- perceiver blocks
class MultiHeadAttention(nn.Module):
    """Bias-free q/k/v projections, optional learned bias added to the projected keys (rpb), o_proj with bias."""

    def __init__(self, heads, q_in, kv_in, qk=None, v=None, out=None, rpb_tokens=0):
        super().__init__()
        qk = qk or q_in
        v = v or qk
        out = out or q_in
        self.heads = heads
        if rpb_tokens:
            self.relative_position_bias = nn.Parameter(torch.zeros(1, rpb_tokens, qk))
        else:
            self.relative_position_bias = None
        self.q_proj = nn.Linear(q_in, qk, bias=False)
        self.k_proj = nn.Linear(kv_in, qk, bias=False)
        self.v_proj = nn.Linear(kv_in, v, bias=False)
        self.o_proj = nn.Linear(v, out)

    def forward(self, xq, xkv):
        b, lq, _ = xq.shape
        lkv = xkv.shape[1]
        q, k, v = self.q_proj(xq), self.k_proj(xkv), self.v_proj(xkv)
        if self.relative_position_bias is not None:
            k = k + self.relative_position_bias
        h = self.heads
        q = q.view(b, lq, h, -1).transpose(1, 2)
        k = k.view(b, lkv, h, -1).transpose(1, 2)
        v = v.view(b, lkv, h, -1).transpose(1, 2)
        scale = q.shape[-1] ** -0.5
        attn = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * scale, dim=-1)
        o = torch.matmul(attn, v).transpose(1, 2).reshape(b, lq, -1)
        return self.o_proj(o)


class CrossAttention(nn.Module):
    def __init__(self, heads, q_in, kv_in, qk=None, v=None, rpb_tokens=0):
        super().__init__()
        self.q_norm = nn.LayerNorm(q_in)
        self.kv_norm = nn.LayerNorm(kv_in)
        self.attention = MultiHeadAttention(heads, q_in, kv_in, qk, v, rpb_tokens=rpb_tokens)

    def forward(self, xq, xkv):
        return self.attention(self.q_norm(xq), self.kv_norm(xkv))


class SelfAttention(nn.Module):
    def __init__(self, heads, c):
        super().__init__()
        self.norm = nn.LayerNorm(c)
        self.attention = MultiHeadAttention(heads, c, c)

    def forward(self, x):
        n = self.norm(x)
        return self.attention(n, n)


class MLP(nn.Module):
    def __init__(self, c, widening):
        super().__init__()
        self.layernorm = nn.LayerNorm(c)
        self.fc1 = nn.Linear(c, widening * c)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(widening * c, c)

    def forward(self, x):
        return self.fc2(self.gelu(self.fc1(self.layernorm(x))))


class CrossAttentionLayer(nn.Module):
    def __init__(self, heads, q_in, kv_in, qk=None, v=None, widening=1, rpb_tokens=0):
        super().__init__()
        self.cross_attn = CrossAttention(heads, q_in, kv_in, qk, v, rpb_tokens)
        self.mlp = MLP(q_in, widening)

    def forward(self, xq, xkv):
        h = xq + self.cross_attn(xq, xkv)
        return h + self.mlp(h)


class SelfAttentionLayer(nn.Module):
    def __init__(self, heads, c, widening):
        super().__init__()
        self.self_attn = SelfAttention(heads, c)
        self.mlp = MLP(c, widening)

    def forward(self, x):
        h = x + self.self_attn(x)
        return h + self.mlp(h)


class SelfAttentionBlock(nn.ModuleList):
    def __init__(self, layers, heads, c, widening):
        super().__init__([SelfAttentionLayer(heads, c, widening) for _ in range(layers)])

    def forward(self, x):
        for layer in self:
            x = layer(x)
        return x


# ---------------------------------------------------------------------------------------------------- ResNet
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride):
        super().__init__()
        out = planes * 4
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.downsample = None
        if stride != 1 or cin != out:
            self.downsample = nn.Sequential(nn.Conv2d(cin, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


def build_resnet(block, depths, width, in_ch, small_stem):
    """Returns (stem, [stage1..4], stage input widths C1..C4, output width)."""
    c = max(1, int(width * 64))
    if small_stem:
        stem = nn.Sequential(nn.Conv2d(in_ch, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
    else:
        stem = nn.Sequential(nn.Conv2d(in_ch, c, 7, 2, 3, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                             nn.MaxPool2d(3, 2, 1))
    stages, cins = [], []
    for s, (n, p) in enumerate(zip(depths, [64, 128, 256, 512])):
        cins.append(c)
        planes = max(1, int(width * p))
        blocks = []
        for i in range(n):
            blocks.append(block(c, planes, 2 if (i == 0 and s > 0) else 1))
            c = planes * block.expansion
        stages.append(nn.Sequential(*blocks))
    return stem, stages, cins, c


class _Chain:
    """Runs a ModuleList in order without registering it again (a plain callable, not an nn.Module)."""

    def __init__(self, modules):
        self.modules = modules

    def __call__(self, x):
        for m in self.modules:
            x = m(x)
        return x

    def eval(self):
        self.modules.eval()
        return self

    def train(self, mode=True):
        self.modules.train(mode)
        return self

    @property
    def training(self):
        return self.modules.training


def first_in_channels(block):
    """Input channels of a torchvision MobileNetV3 feature block (the official copy's c_in)."""
    for m in block.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    raise ValueError("no conv")


# -------------------------------------------------------------------------------------------- Dynamic Perceiver
class DynPerceiver(nn.Module):
    """Four exits, in the official order: y_early3, y_att, y_cnn, y_merge."""

    def __init__(self, block, depths, width, input_shape, num_classes, num_latents=128, sa_heads=(1, 2, 4, 8),
                 depth_factor=(1, 1, 1, 1), sa_widening=4, spatial_reduction=True, with_x2z=True, with_z2x=True,
                 with_dwc=True, with_last_ca=True, with_isc=True, drop_rate=0.2, backbone="resnet", cnn=None):
        """block/depths/width describe the ResNet; for "regnet" and "mobilenet", `cnn` is the torchvision model."""
        super().__init__()
        in_ch, h, w = input_shape
        self.backbone = backbone
        merge_hidden = None
        if backbone == "resnet":
            small = h < 64 or w < 64
            stem, stages, c, c_out = build_resnet(block, depths, width, in_ch, small)
            self.latent = nn.Parameter(torch.empty(num_latents, c[0]).normal_(0, 0.02).clamp_(-2, 2))
            self.cnn_stem = stem
            for i, s in enumerate(stages):
                setattr(self, f"cnn_body_stage{i + 1}", s)
            self.classifier_cnn = nn.Linear(c_out, num_classes)
        elif backbone == "regnet":
            c = [getattr(cnn.trunk_output, f"block{i}")[0].proj[0].in_channels
                 if getattr(cnn.trunk_output, f"block{i}")[0].proj is not None
                 else getattr(cnn.trunk_output, f"block{i}")[0].f.a[0].in_channels for i in range(1, 5)]
            c_out = cnn.fc.in_features
            self.latent = nn.Parameter(torch.empty(num_latents, c[0]).normal_(0, 0.02).clamp_(-2, 2))
            self.cnn_stem = cnn.stem
            self.cnn_body = cnn.trunk_output
            self.avgpool = cnn.avgpool
            self.classifier_cnn = cnn.fc
            stages = [getattr(cnn.trunk_output, f"block{i}") for i in range(1, 5)]
            stem = cnn.stem
            drop_rate = 0.0
        elif backbone == "mobilenet":
            split = [(0, 3), (3, 5), (5, 8), (8, 14), (14, 17)]
            parts = [nn.ModuleList([cnn.features[i] for i in range(a, b)]) for a, b in split]
            c = [first_in_channels(cnn.features[a]) for a, _ in split[1:]]
            c_out = cnn.features[16].out_channels
            merge_hidden = cnn.classifier[0].out_features
            self.latent = nn.Parameter(torch.empty(num_latents, c[0]).normal_(0, 0.02).clamp_(-2, 2))
            self.cnn_stem = parts[0]
            for i in range(4):
                setattr(self, f"cnn_body_stage{i + 1}", parts[i + 1])
            self.avgpool = cnn.avgpool
            self.classifier_cnn = nn.Sequential(nn.Linear(c_out, merge_hidden), nn.Hardswish(), nn.Dropout(0.2),
                                                nn.Linear(merge_hidden, num_classes))
            stem = _Chain(parts[0])
            stages = [_Chain(p) for p in parts[1:]]
            drop_rate = 0.0
        else:
            raise ValueError(backbone)
        self._cnn = (stem, list(stages))  # a tuple: not registered again (the modules already have their names)
        self.drop_rate = drop_rate
        self.spatial_reduction = spatial_reduction
        self.with_x2z, self.with_z2x, self.with_dwc, self.with_isc = with_x2z, with_z2x, with_dwc, with_isc

        # spatial size of X_{i-1}, the map X2Z_i reads
        with torch.no_grad():
            was = [m.training for m in [stem] + list(stages)]
            x = stem.eval()(torch.zeros(1, in_ch, h, w))
            sizes = [x.shape[2:]]
            for s in stages:
                x = s.eval()(x)
                sizes.append(x.shape[2:])
            for m, t in zip([stem] + list(stages), was):
                m.train(t)
        tokens = [num_latents, num_latents // 2, num_latents // 4, num_latents // 8]
        layers = [3 * depth_factor[0], 3 * depth_factor[1], 9 * depth_factor[2], 3 * depth_factor[3]]
        for i in range(4):
            if i == 0 or with_x2z:
                if with_dwc:
                    setattr(self, f"dwc{i + 1}_x2z", nn.Conv2d(c[i], c[i], 7, 1, 3, groups=c[i]))
                keys = 49 if spatial_reduction else sizes[i][0] * sizes[i][1]
                setattr(self, f"cross_att{i + 1}_x2z", CrossAttentionLayer(1, c[i], c[i], rpb_tokens=keys))
            if i > 0 and with_z2x:
                setattr(self, f"cross_att{i + 1}_z2x", CrossAttentionLayer(1, c[i], c[i], c[i] // 8, c[i] // 8))
            setattr(self, f"self_att{i + 1}", SelfAttentionBlock(layers[i], sa_heads[i], c[i], sa_widening))
        self.last_cross_att_z2x = (CrossAttentionLayer(1, c_out, c[3], c_out // 8, c_out // 8)
                                   if with_last_ca else None)
        self.early_classifier3 = nn.Linear(c[2], num_classes)
        if with_isc:
            self.isc3 = nn.Sequential(nn.Linear(num_classes, c[3]), nn.BatchNorm1d(c[3]), nn.ReLU())
            self.classifier_att = nn.Linear(2 * c[3], num_classes)
            self.isc4 = nn.Sequential(nn.Linear(num_classes, c[3]), nn.BatchNorm1d(c[3]), nn.ReLU())
            merge_in = c_out + 2 * c[3]
        else:
            self.classifier_att = nn.Linear(c[3], num_classes)
            merge_in = c_out + c[3]
        if merge_hidden is None:
            self.classifier_merge = nn.Sequential(nn.BatchNorm1d(merge_in), nn.Linear(merge_in, num_classes))
        else:
            self.classifier_merge = nn.Sequential(nn.BatchNorm1d(merge_in), nn.Linear(merge_in, merge_hidden),
                                                  nn.Hardswish(), nn.Dropout(0.2), nn.Linear(merge_hidden, num_classes))
        self.token_expander = nn.ModuleList(
            [nn.Sequential(nn.LayerNorm(c[i]), nn.Linear(c[i], c[i + 1])) for i in range(3)])
        self.token_mixer = nn.ModuleList(
            [nn.Sequential(nn.LayerNorm(tokens[i]), nn.Linear(tokens[i], tokens[i + 1])) for i in range(3)])

    @staticmethod
    def _tokens(x):
        return x.flatten(2).transpose(1, 2)

    def _x2z(self, i, z, x):
        if i > 0 and not self.with_x2z:
            return z
        kv = x + getattr(self, f"dwc{i + 1}_x2z")(x) if self.with_dwc else x
        if self.spatial_reduction:
            kv = F.adaptive_avg_pool2d(kv, 7)
        return getattr(self, f"cross_att{i + 1}_x2z")(z, self._tokens(kv))

    def _z2x(self, layer, x, z):
        b, c, h, w = x.shape
        return layer(self._tokens(x), z).transpose(1, 2).reshape(b, c, h, w)

    def forward(self, img):
        x = self._cnn[0](img)
        z = self.latent.unsqueeze(0).expand(img.shape[0], -1, -1)
        z = self.self_att1(self._x2z(0, z, x))
        y_early3 = None
        for i in range(1, 4):
            x = self._cnn[1][i - 1](x)
            z = self.token_expander[i - 1](self.token_mixer[i - 1](z.transpose(1, 2)).transpose(1, 2))
            if self.with_z2x:
                x = self._z2x(getattr(self, f"cross_att{i + 1}_z2x"), x, z)
            z = getattr(self, f"self_att{i + 1}")(self._x2z(i, z, x))
            if i == 2:
                y_early3 = self.early_classifier3(z.mean(1))
        z_mean = z.mean(1)
        y_att = self.classifier_att(torch.cat([z_mean, self.isc3(y_early3)], 1) if self.with_isc else z_mean)
        x = self._cnn[1][3](x)
        x_mean = F.dropout(x.mean((2, 3)), self.drop_rate, self.training)
        y_cnn = self.classifier_cnn(x_mean)
        if self.last_cross_att_z2x is not None:
            x_mean = self._z2x(self.last_cross_att_z2x, x, z).mean((2, 3))
        parts = [x_mean, z_mean] + ([self.isc4(y_att)] if self.with_isc else [])
        y_merge = self.classifier_merge(torch.cat(parts, 1))
        return y_early3, y_att, y_cnn, y_merge
