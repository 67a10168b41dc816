#!/usr/bin/env python3
"""Generate chlast's corpus of real networks (models/real/).

Each model is built from its public model code (torchvision, diffusers) with
reduced channel widths and fixed-seed random weights, run once in PyTorch
(eval, f32, CPU) on a seeded input, exported to ONNX with the legacy
(TorchScript) exporter at fixed shapes, and imported to linalg-on-tensors
MLIR with scripts/import-onnx.sh. Per model NAME it writes

  NAME.mlirbc      the imported IR as MLIR bytecode (what chlast-opt /
                   chlast-run read; `chlast-opt NAME.mlirbc` prints it as
                   text; --text writes NAME.mlir instead)
  NAME.input.npy   the seeded input (f32)
  NAME.torch.npy   PyTorch's own output for that input (f32)

Run it through scripts/make-corpus.sh (which provides the pinned venv):

  scripts/make-corpus.sh                      # every model
  scripts/make-corpus.sh sd_vae_decoder ...   # only these

Options: --out DIR (default: this directory), --keep-onnx (also keep
NAME.onnx), --text, --list.

Rewrites applied before export are monkeypatches listed per model in
MODELS below; each one is checked to leave PyTorch's output bit-identical
(the reference output is computed before any patch is applied).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
IMPORT_ONNX = os.path.join(ROOT, "scripts", "import-onnx.sh")

SEED = 1234          # weights: torch.manual_seed(SEED) before building, again before randomizing
INPUT_SEED = 4321    # inputs: a torch.Generator seeded with INPUT_SEED
OPSET = 17
SIZE_LIMIT = 3 * 1024 * 1024  # bytes per committed file


# ----------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------

def randomize_constant_tensors(module: nn.Module, gen: torch.Generator) -> int:
    """Make every parameter/buffer that its initializer left constant random.

    Norm scales (GroupNorm/BatchNorm/RMS-norm gammas) start as all ones and
    biases / running means as all zeros; with those a layout bug in a norm's
    affine part (a scale applied to the wrong channel) would go unnoticed.
    All-ones tensors become U(0.5, 1.5) (stays positive, so BatchNorm's
    running_var remains valid), all-zeros tensors become N(0, 0.1^2).
    Returns how many tensors were changed.
    """
    changed = 0
    named = list(module.named_parameters()) + [
        (n, b) for n, b in module.named_buffers() if b.is_floating_point()
    ]
    with torch.no_grad():
        for _, t in named:
            if t.numel() == 0:
                continue
            if torch.all(t == 1):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
                changed += 1
            elif torch.all(t == 0):
                t.copy_(torch.randn(t.shape, generator=gen) * 0.1)
                changed += 1
    return changed


# ----------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------

class DecodeWrapper(nn.Module):
    """forward(latent) -> vae.decode(latent).sample, the decode path only."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, z):
        return self.vae.decode(z).sample


def build_sd_vae_decoder():
    from diffusers import AutoencoderKL

    # Stable Diffusion 1.x/2.x VAE structure (4 blocks, 2 layers per block,
    # mid-block attention, nearest x2 upsampling), widths 128-256-512-512 ->
    # 16-32-32-32, GroupNorm 32 groups -> 8 groups.
    cfg = dict(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(16, 32, 32, 32),
        layers_per_block=2,
        act_fn="silu",
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
    )
    vae = AutoencoderKL(**cfg)
    return DecodeWrapper(vae), (1, 4, 8, 8), cfg


def build_wan_vae_decoder():
    from diffusers import AutoencoderKLWan

    # Wan 2.2 VAE structure (Wan2.2-TI2V-5B: is_residual=True, patch_size=2,
    # 12 in/out channels, dim_mult 1-2-4-4, temporal upsampling in the last
    # two up blocks): decoder_base_dim 256 -> 8, base_dim 160 -> 8, z_dim
    # 48 -> 4. Decode is Wan's per-frame causal decode with a feature cache
    # (3 latent frames -> 9 output frames), unpatchify, clamp.
    cfg = dict(
        base_dim=8,
        decoder_base_dim=8,
        z_dim=4,
        dim_mult=[1, 2, 4, 4],
        num_res_blocks=2,
        attn_scales=[],
        temperal_downsample=[False, True, True],
        dropout=0.0,
        latents_mean=[0.0] * 4,
        latents_std=[1.0] * 4,
        is_residual=True,
        in_channels=12,
        out_channels=12,
        patch_size=2,
        scale_factor_temporal=4,
        scale_factor_spatial=16,
    )
    vae = AutoencoderKLWan(**cfg)
    return DecodeWrapper(vae), (1, 4, 3, 4, 4), cfg


def build_ltx_vae_decoder():
    from diffusers import AutoencoderKLLTXVideo

    # LTX-Video 0.9.0 VAE structure (non-causal decoder, 4 up blocks with
    # 3-D pixel-shuffle upsamplers (x2 in T, H, W), per-channel RMS norm,
    # patch_size 4 unpatchify at the end): block widths 128-256-512-512 ->
    # 8-16-32-32, latent_channels 128 -> 8, layers per block 4-3-3-3-4 -> 2-1-1-1-2.
    cfg = dict(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 16, 32, 32),
        decoder_block_out_channels=(8, 16, 32, 32),
        layers_per_block=(2, 1, 1, 1, 2),
        decoder_layers_per_block=(2, 1, 1, 1, 2),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False),
        patch_size=4,
        patch_size_t=1,
        timestep_conditioning=False,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae = AutoencoderKLLTXVideo(**cfg)
    return DecodeWrapper(vae), (1, 8, 2, 2, 2), cfg


def build_resnet50():
    from torchvision.models.resnet import Bottleneck, ResNet

    class NarrowResNet(ResNet):
        """torchvision's ResNet with every width divided by `div`.

        Same as ResNet.__init__ (torchvision 0.23) with the hard-coded widths
        64/128/256/512 replaced by 64/div, ...; blocks, _make_layer and
        forward are torchvision's own.
        """

        def __init__(self, block, layers, div, num_classes):
            nn.Module.__init__(self)
            self._norm_layer = nn.BatchNorm2d
            self.inplanes = 64 // div
            self.dilation = 1
            self.groups = 1
            self.base_width = 64
            self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(self.inplanes)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, 64 // div, layers[0])
            self.layer2 = self._make_layer(block, 128 // div, layers[1], stride=2)
            self.layer3 = self._make_layer(block, 256 // div, layers[2], stride=2)
            self.layer4 = self._make_layer(block, 512 // div, layers[3], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 // div * block.expansion, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    cfg = dict(block="Bottleneck", layers=[3, 4, 6, 3], div=8, num_classes=100)
    model = NarrowResNet(Bottleneck, [3, 4, 6, 3], div=8, num_classes=100)
    return model, (1, 3, 64, 64), cfg


def build_mobilenet_v2():
    from torchvision.models import MobileNetV2

    # torchvision's own width_mult; the last 1x1 conv keeps 1280 channels
    # (torchvision fixes last_channel at 1280 for width_mult < 1).
    cfg = dict(width_mult=0.25, num_classes=100)
    model = MobileNetV2(**cfg)
    return model, (1, 3, 64, 64), cfg


# ----------------------------------------------------------------------------
# Rewrites before export (each checked to leave the output bit-identical)
# ----------------------------------------------------------------------------

def patch_wan_nearest_exact(model):
    """WanUpsample(mode='nearest-exact', scale 2) -> mode='nearest'.

    At an integer scale of 2, nearest-exact's source index
    floor((dst + 0.5) / 2) equals nearest's floor(dst / 2): same values.
    Without it the legacy exporter stops: "Exporting the operator
    'aten::_upsample_nearest_exact2d' to ONNX opset version 17 is not
    supported".
    """
    from diffusers.models.autoencoders.autoencoder_kl_wan import WanUpsample

    n = 0
    for m in model.modules():
        if isinstance(m, WanUpsample) and m.mode == "nearest-exact":
            assert tuple(float(s) for s in m.scale_factor) == (2.0, 2.0), m.scale_factor
            m.mode = "nearest"
            n += 1
    return f"{n} WanUpsample nearest-exact -> nearest"


def patch_wan_attention_squeeze(model):
    """WanAttentionBlock: x.squeeze(1) after SDPA -> x.reshape(bt, hw, c).

    The legacy exporter writes squeeze(1) of a dim it cannot prove to be 1
    as an onnx.If (squeeze only when size 1), which torch-mlir's ONNX
    conversion rejects ("ONNX op 'If' could not be converted"); the dim is
    1 by construction (a single head), so a reshape is the same op.
    """
    from diffusers.models.autoencoders.autoencoder_kl_wan import WanAttentionBlock

    def forward(self, x):
        identity = x
        batch_size, channels, time, height, width = x.size()
        x = x.permute(0, 2, 1, 3, 4).reshape(batch_size * time, channels, height, width)
        x = self.norm(x)
        qkv = self.to_qkv(x)
        qkv = qkv.reshape(batch_size * time, 1, channels * 3, -1)
        qkv = qkv.permute(0, 1, 3, 2).contiguous()
        q, k, v = qkv.chunk(3, dim=-1)
        x = F.scaled_dot_product_attention(q, k, v)
        # was: x.squeeze(1)
        x = x.reshape(batch_size * time, height * width, channels)
        x = x.permute(0, 2, 1).reshape(batch_size * time, channels, height, width)
        x = self.proj(x)
        x = x.view(batch_size, time, channels, height, width)
        x = x.permute(0, 2, 1, 3, 4)
        return x + identity

    n = sum(isinstance(m, WanAttentionBlock) for m in model.modules())
    for m in model.modules():
        if isinstance(m, WanAttentionBlock):
            m.forward = forward.__get__(m, WanAttentionBlock)
    return f"{n} WanAttentionBlock squeeze(1) -> reshape"


MODELS = {
    "sd_vae_decoder": (build_sd_vae_decoder, []),
    "wan_vae_decoder": (build_wan_vae_decoder, [patch_wan_nearest_exact, patch_wan_attention_squeeze]),
    "ltx_vae_decoder": (build_ltx_vae_decoder, []),
    "resnet50": (build_resnet50, []),
    "mobilenet_v2": (build_mobilenet_v2, []),
}


# ----------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------

def fix_negative_perms(onnx_path):
    """Write Transpose perms the exporter left negative as their positive equivalents.

    The legacy exporter writes Tensor.movedim(1, -1) (LTX's channel RMS norm)
    as a Transpose with perm [0, -1, ...]-style entries; the ONNX spec wants
    0 <= perm[i] < rank and torch-mlir's conversion rejects negatives. With
    rank = len(perm), perm[i] + rank is the same axis.
    """
    import onnx

    model = onnx.load(onnx_path)
    n = 0
    for node in model.graph.node:
        if node.op_type != "Transpose":
            continue
        for attr in node.attribute:
            if attr.name == "perm" and any(p < 0 for p in attr.ints):
                rank = len(attr.ints)
                fixed = [p + rank if p < 0 else p for p in attr.ints]
                del attr.ints[:]
                attr.ints.extend(fixed)
                n += 1
    if not n:
        return None
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)
    return f"{n} ONNX Transpose perms with negative axes made positive"


def fix_output_shape(onnx_path, shape):
    """Give the ONNX graph's output its static shape where the exporter left it unknown.

    The legacy exporter's shape inference loses the output shape of some
    graphs (Wan's per-frame decode: a concat of per-frame results); the
    importer then types the result tensor<?x?x?x?x?xf32>. The true shape is
    the one PyTorch produced, which is what gets written into the model.
    """
    import onnx

    model = onnx.load(onnx_path)
    out = model.graph.output[0]
    dims = out.type.tensor_type.shape.dim
    have = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    if len(have) == len(shape) and all(h == s for h, s in zip(have, shape)):
        return None
    del dims[:]
    for s in shape:
        dims.add().dim_value = s
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)
    return f"ONNX output shape {have or 'unknown'} -> {list(shape)} (PyTorch's)"


def save_npy(path, array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    np.save(path, array)


def build_model(name):
    """The corpus model NAME with its fixed-seed weights (eval, f32, CPU):
    (model, input_shape, cfg, tensors randomized). Also used by the GPU
    check (scripts/gpu_check.py) to time PyTorch on the same network."""
    build, _ = MODELS[name]
    torch.manual_seed(SEED)
    model, input_shape, cfg = build()
    model = model.float().eval()
    wgen = torch.Generator().manual_seed(SEED)
    nrand = randomize_constant_tensors(model, wgen)
    return model, input_shape, cfg, nrand


def generate(name, out_dir, keep_onnx, text=False, verbose=True):
    _, patches = MODELS[name]
    t0 = time.time()
    model, input_shape, cfg, nrand = build_model(name)
    # Parameters of the exported graph (a VAE's encoder is built but unused).
    nparams = sum(p.numel() for n, p in model.named_parameters()
                  if not n.startswith(("vae.encoder.", "vae.quant_conv.")))

    igen = torch.Generator().manual_seed(INPUT_SEED)
    x = torch.randn(input_shape, generator=igen, dtype=torch.float32)

    with torch.no_grad():
        ref = model(x).float()
        notes = []
        for patch in patches:
            notes.append(patch(model))
        if patches:
            got = model(x).float()
            if not torch.equal(got, ref):
                diff = (got - ref).abs().max().item()
                raise SystemExit(f"{name}: the export rewrites change PyTorch's output (max abs diff {diff})")

    base = os.path.join(out_dir, name)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = base + ".onnx" if keep_onnx else os.path.join(tmp, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(
                model,
                (x,),
                onnx_path,
                dynamo=False,
                opset_version=OPSET,
                input_names=["input"],
                output_names=["output"],
                do_constant_folding=True,
            )
        for fixed in (fix_negative_perms(onnx_path), fix_output_shape(onnx_path, tuple(ref.shape))):
            if fixed:
                notes.append(fixed)
        mlir_tmp = os.path.join(tmp, name + ".mlir")
        if subprocess.run([IMPORT_ONNX, onnx_path, "-o", mlir_tmp]).returncode != 0:
            raise SystemExit(f"{name}: scripts/import-onnx.sh failed (its messages are above)")
        if text:
            _copy(mlir_tmp, base + MLIR_EXT[text])
        else:
            # Same IR as MLIR bytecode: the weights are stored as raw bytes
            # instead of hex text, about half the size.
            # Run in the temp dir on a relative name, so that the locations
            # stored in the bytecode read "NAME.mlir":line:col (the lines of
            # the --text output), not a random temp path.
            bc_tmp = os.path.join(tmp, name + ".mlirbc")
            subprocess.run([mlir_opt(), "--emit-bytecode", name + ".mlir", "-o", name + ".mlirbc"],
                           check=True, cwd=tmp)
            _copy(bc_tmp, base + MLIR_EXT[text])
        for stale in MLIR_EXT.values():
            if stale != MLIR_EXT[text] and os.path.exists(base + stale):
                os.remove(base + stale)
    save_npy(base + ".input.npy", x.numpy())
    save_npy(base + ".torch.npy", ref.numpy())

    sizes = {ext: os.path.getsize(base + ext) for ext in (MLIR_EXT[text], ".input.npy", ".torch.npy")}
    if verbose:
        print(
            f"{name}: params {nparams}, {nrand} constant tensors randomized, "
            f"input {tuple(x.shape)} -> output {tuple(ref.shape)} (max |y| {ref.abs().max().item():.4g}), "
            f"{name}{MLIR_EXT[text]} {sizes[MLIR_EXT[text]] / 1e6:.2f} MB, {time.time() - t0:.1f}s"
            + "".join(f"\n  patch: {n}" for n in notes)
        )
    for ext, size in sizes.items():
        if size > SIZE_LIMIT:
            print(f"{name}: WARNING {name}{ext} is {size / 1e6:.2f} MB, over the 3 MB limit", file=sys.stderr)
    return cfg


MLIR_EXT = {False: ".mlirbc", True: ".mlir"}


def mlir_opt():
    """An mlir-opt of the LLVM chlast builds against (writes the bytecode chlast reads)."""
    for cand in (os.environ.get("CHLAST_MLIR_OPT"), "/usr/lib/llvm-22/bin/mlir-opt",
                 os.path.join(ROOT, "target", "debug", "chlast-opt"),
                 os.path.join(ROOT, "target", "release", "chlast-opt")):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise SystemExit("no mlir-opt found: install mlir-22-tools (scripts/deps.sh) or set CHLAST_MLIR_OPT")


def _copy(src, dst):
    tmp = dst + ".tmp"
    with open(src, "rb") as f, open(tmp, "wb") as g:
        g.write(f.read())
    os.replace(tmp, dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help="models to generate (default: all)")
    ap.add_argument("--out", default=HERE, help="output directory (default: %(default)s)")
    ap.add_argument("--keep-onnx", action="store_true", help="also keep NAME.onnx")
    ap.add_argument("--text", action="store_true", help="write NAME.mlir (text) instead of NAME.mlirbc (bytecode)")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(MODELS))
        return
    names = args.models or list(MODELS)
    for n in names:
        if n not in MODELS:
            raise SystemExit(f"unknown model '{n}' (known: {', '.join(MODELS)})")
    # One thread: the reference outputs do not depend on the machine's core count.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    print(f"torch {torch.__version__}, seed {SEED}, input seed {INPUT_SEED}, opset {OPSET}")
    for n in names:
        generate(n, args.out, args.keep_onnx, args.text)


if __name__ == "__main__":
    main()
