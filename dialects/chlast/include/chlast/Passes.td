//===- Passes.td - chlast passes ---------------------------*- tablegen -*-===//
//
// Declarations of chlast's passes. The pass bodies are written in Rust; the
// C++ classes generated from here forward `runOnOperation` to Rust (see
// lib/RustPasses.cpp), so the passes live in MLIR's registry with their
// options and work in textual pipelines and `--help`.
//
//===----------------------------------------------------------------------===//

#ifndef CHLAST_PASSES_TD
#define CHLAST_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvChannelsLast : Pass<"conv-channels-last", "::mlir::ModuleOp"> {
  let summary = "Give convolutions channels-last layouts and propagate them";
  let description = [{
    Attaches `#chlast.layout` encodings to convolution operands and results
    and propagates them through the ops around the convolutions, inserting
    `chlast.to_layout` only where a value crosses between layouts. Each op
    that can follow a conv's layout takes it or not by a minimum cut of the
    bytes that conversions move; constants are converted at compile time.

    Before:
    ```mlir
    %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {...}
        : tensor<1x4x16x16xf32> to tensor<1x4x18x18xf32>
    %y = linalg.conv_2d_nchw_fchw ins(%p, %w : ...)
        outs(%b : tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
    %z = linalg.generic {...} ins(%y : tensor<1x8x16x16xf32>) ...  // SiLU
    return %z
    ```
    After:
    ```mlir
    %0 = chlast.to_layout %x : tensor<1x4x16x16xf32>
        -> tensor<1x4x16x16xf32, #chlast.layout<nhwc>>
    %p = tensor.pad %0 ... to tensor<1x4x18x18xf32, #chlast.layout<nhwc>>
    %w = arith.constant dense<...> : tensor<8x4x3x3xf32, #chlast.layout<nhwc>>
    %y = linalg.conv_2d_nchw_fchw ins(%p, %w : ...) outs(%b : ...) -> ...
    %z = linalg.generic {...} ins(%y : ...) ...
    %1 = chlast.to_layout %z : ... -> tensor<1x8x16x16xf32>
    return %1
    ```

    The body is Rust (src/transforms/conv_channels_last/); every runtime
    conversion is reported with a remark naming the op that forced it.
  }];
  let dependentDialects = ["::mlir::chlast::ChlastDialect"];
  let options = [
    Option<"enable", "enable", "bool", /*default=*/"true",
           "Run the pass; when false the IR is left unchanged">,
    Option<"maxOpsPerConv", "max-ops-per-conv", "unsigned", /*default=*/"300",
           "Leave a function unchanged when it has this many ops or more per "
           "convolution (0 disables the rule)">,
    Option<"costModel", "cost-model", "bool", /*default=*/"true",
           "Leave a convolution in its original layout when converting it "
           "would move more bytes at its boundaries than it saves">,
    Option<"strategy", "strategy", "ChlastStrategy",
           /*default=*/"CHLAST_STRATEGY_MIN_CUT", "Placement of conversions",
           [{::llvm::cl::values(
             clEnumValN(CHLAST_STRATEGY_MIN_CUT, "min-cut",
                        "globally fewest bytes moved by conversions"),
             clEnumValN(CHLAST_STRATEGY_PER_CONV, "per-conv",
                        "convert each conv's input and filter and its result "
                        "back, nothing propagated (for comparison)"))}]>,
    Option<"statsFile", "stats", "std::string", /*default=*/"\"\"",
           "Write one JSON object per function with the pass's statistics "
           "to this file ('-' for stderr)">,
  ];
}

def MaterializeLayouts : Pass<"chlast-materialize-layouts", "::mlir::ModuleOp"> {
  let summary = "Turn #chlast.layout encodings into physical tensor layouts";
  let description = [{
    Rewrites encoded IR into plain upstream IR with physical layouts: an
    encoded tensor becomes a tensor of its physical shape (the view's dims in
    the layout's order), `chlast.to_layout` becomes `linalg.transpose` (plus
    a metadata-only reshape when the layout has a view), `linalg` ops become
    `linalg.generic` ops over the physical dims (loops split where a layout
    splits a dim, `linalg.index` and gathers re-expressed), pads, concats,
    slices and reshapes get physical dims, and encoded constants are
    transposed at compile time. The result contains no chlast ops or
    encodings and means what the input meant.

    Implemented in C++ (dialects/chlast/lib/MaterializeLayouts.cpp): it
    builds linalg IR with MLIR's C++ builders, which the C API does not
    expose.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}


//===----------------------------------------------------------------------===//
// CUDA lowering (see dialects/chlast/lib/LowerToCuda.cpp for the pipeline)
//===----------------------------------------------------------------------===//

def ConvsToCudnn : Pass<"chlast-convs-to-cudnn", "::mlir::ModuleOp"> {
  let summary = "Replace convolutions on buffers by calls into cuDNN";
  let description = [{
    Runs on bufferized IR. Every `linalg` convolution (named or generic,
    2-D or 3-D, strided, dilated, grouped or depthwise; multiply-accumulate
    body; f32 or f16; static shapes and strides) whose operands map onto
    cuDNN tensor/filter descriptors becomes
    `func.call @chlast_cudnn_conv(spec, x, w, y, bias, z)`: pointers as i64
    and a private constant `memref.global` holding the descriptor spec (dims,
    element strides, conv strides/dilations, groups, filter format KCRS or
    KRSC, flags). A bias broadcast written into the output buffer right
    before the conv is folded into the call (bias flag), a zero fill is
    dropped (beta = 0), any other initial value is accumulated (beta = 1).
    An elementwise op right after the conv computing relu(y), y + z or
    relu(y + z) (`arith.maximumf` with 0; z a buffer of y's type) is folded
    too (relu and residual flags): the call writes that op's output buffer.
    Convs that cuDNN cannot describe stay linalg ops (a remark says why) and
    become GPU kernels.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def FuseElementwise : Pass<"chlast-fuse-elementwise", "::mlir::ModuleOp"> {
  let summary = "Fuse elementwise producers into consumers, never into convolutions";
  let description = [{
    Upstream's elementwise fusion (single-use producers into consumer
    `linalg.generic`s, so a layout conversion next to an elementwise op
    becomes part of that op's kernel), except that nothing is fused into a
    convolution: upstream would fold the transpose in front of a
    channels-last conv into the conv's input map and hand cuDNN a
    channels-first tensor again (or give the conv extra operands, so that
    it could no longer be a cuDNN call).

    Two additions to upstream's rules: constant-indexed unit dims of
    operands (PyTorch's `[C, 1, 1]` parameters read as `(c, 0, 0)`,
    keepdim reductions) are collapsed first, so that reshapes can move
    through every op; and a producer cheap to recompute (all parallel, a
    few `arith` ops, at most one full-size input) is fused into each of its
    consumers even when it has several, so a group norm's `x - mean` is
    never written:
      %d = x - mean; %var = sum(%d * %d); %y = %d * rsqrt(%var)
    becomes
      %var = sum((x - mean) * (x - mean)); %y = (x - mean) * rsqrt(%var)
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
}

def PrepareGpuMemory : Pass<"chlast-prepare-gpu-memory", "::mlir::ModuleOp"> {
  let summary = "Keep every buffer the GPU uses in device memory";
  let description = [{
    On bufferized host functions, before linalg ops become kernels:
    `memref.copy` becomes `linalg.copy` (a kernel, not a host loop); a
    linalg op without a parallel loop (0-d ops, the last step of a split
    reduction) gets a unit parallel loop over a unit view of its outputs,
    so it runs as a one-thread kernel instead of host code reading device
    memory; a generic's parallel loops are moved before its reductions, so
    that they all become the kernel's threads; constant globals read by host code are listed in the module
    attribute `chlast.device_constants` for `chlast-upload-constants`.
    `chlast.host_only` globals (cuDNN specs) are left alone; mutable
    globals get a warning (they stay in host memory).

    Before:
      linalg.generic {indexing_maps = [(d0) -> (d0), (d0) -> ()],
                      iterator_types = ["reduction"]}
          ins(%p : memref<8xf32>) outs(%sum : memref<f32>)
    After:
      %s = memref.expand_shape %sum [] output_shape [1] : memref<f32> into memref<1xf32>
      linalg.generic {indexing_maps = [(d0, d1) -> (d1), (d0, d1) -> (d0)],
                      iterator_types = ["parallel", "reduction"]}
          ins(%p : memref<8xf32>) outs(%s : memref<1xf32>)
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def CheckHostMemory : Pass<"chlast-check-host-memory", "::mlir::ModuleOp"> {
  let summary = "Fail when host code would read or write device memory";
  let description = [{
    After `gpu-kernel-outlining`: host functions may allocate, free and
    pass buffers to kernels and cuDNN calls, but an op that reads or writes
    a buffer's contents on the host (a load, a store, a copy, a linalg op
    left outside a kernel), a host stack buffer (`memref.alloca`) or a used
    mutable global is an error: the CUDA target keeps buffers in device
    memory and does not wait for the GPU inside a run. Reads of
    `chlast.host_only` globals (cuDNN specs) are allowed.

    Error example:
      %v = memref.load %a[%c0] : memref<4xf32>
      // error: host code reads or writes device memory: ...
  }];
}

def UploadConstants : Pass<"chlast-upload-constants", "::mlir::ModuleOp"> {
  let summary = "Upload the constants kernels read to the GPU once, at load";
  let description = [{
    On the LLVM-dialect host module: for every global listed in
    `chlast.device_constants`, a global constructor calls the runtime's
    `chlast_device_constant(host, bytes) -> device` once when the program
    is loaded and keeps the device address in a slot global; host code
    reads the slot instead of the host global's address; a global
    destructor frees the copies (`chlast_device_constant_free`).

    Before:
      %p = llvm.mlir.addressof @w : !llvm.ptr
    After:
      %slot = llvm.mlir.addressof @w.device : !llvm.ptr
      %p = llvm.load %slot : !llvm.ptr -> !llvm.ptr
      // + @chlast_upload_constants in llvm.mlir.global_ctors,
      //   @chlast_release_constants in llvm.mlir.global_dtors
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def MapParallelLoopsToGpu : Pass<"chlast-map-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Map each outermost scf.parallel to a 1-D grid of blocks";
  let description = [{
    Collapses every outermost `scf.parallel` of a host function into one
    dimension, tiles it by `block-size`, and maps the tile loop to
    `block_x` and the intra-tile loop to `thread_x` (nested parallel loops
    run sequentially inside a thread), ready for
    `convert-parallel-loops-to-gpu`.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::arith::ArithDialect"];
}

def MergeGpuModules : Pass<"chlast-merge-gpu-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel, so the NVPTX
    backend runs once per kernel at compile time and the driver loads one
    module per kernel at run time. This pass moves all kernels (and the
    symbols they use) into the first `gpu.module` and retargets the
    `gpu.launch_func` ops. A module whose symbols clash with different
    definitions already moved is left as it is.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def GpuMathToPtx : Pass<"chlast-gpu-math-to-ptx", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower math ops in GPU kernels without libdevice";
  let description = [{
    `convert-gpu-to-nvvm` turns math ops into calls to libdevice
    (`__nv_expf`, ...), which only the CUDA toolkit provides. This pass
    lowers them first: exp, expm1, tanh, erf, log, log1p, log2, sin, cos,
    atan and atan2 by polynomial approximation
    (arith only), and sqrt, rsqrt, floor, ceil, trunc, roundeven, fma and
    absf to single PTX instructions (`llvm.inline_asm`). Any other math op
    in a kernel is an error naming the op.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect"];
}

def SplitReductions : Pass<"chlast-split-reductions", "::mlir::ModuleOp"> {
  let summary = "Split long reductions into parallel partial reductions";
  let description = [{
    On tensors, before bufferization: a linalg op reducing over one dim
    longer than `max-serial` becomes P partial reductions (a new parallel
    dim, innermost, so that neighbouring GPU threads read neighbouring
    elements) and a final reduction over P, with P the smallest divisor of
    the extent that leaves at most `max-serial` iterations per thread
    (upstream's `linalg::splitReduction`). Every linalg op becomes one
    kernel whose threads are its parallel iterations, so without this a
    group norm's statistics would run on N * G threads, each looping over
    C/G * H * W elements.

    Before:
      %s = linalg.generic {[parallel, parallel, reduction]}
             ins(%x : tensor<1x8x16384xf32>) outs(%z : tensor<1x8x1xf32>)
    After (max-serial=256):
      %p = linalg.generic {[parallel, parallel, reduction, parallel]}
             ins(%x expanded to 1x8x256x64) outs(tensor<1x8x1x64xf32>)
      %s = linalg.generic {[parallel, parallel, parallel, reduction]}
             ins(%p) outs(%z : tensor<1x8x1xf32>)
  }];
  let options = [
    Option<"maxSerial", "max-serial", "int64_t", /*default=*/"256",
           "Longest reduction loop left to one thread">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def CudaStats : Pass<"chlast-cuda-stats", "::mlir::ModuleOp"> {
  let summary = "Statistics of a program lowered to CUDA (JSON)";
  let description = [{
    `phase=collect` (on bufferized IR, after `chlast-convs-to-cudnn`)
    counts linalg ops that will become kernels, standalone layout-conversion
    kernels (pure permutation copies) and the bytes they read and write,
    cuDNN calls and how many of them use channels-first tensors (whose
    hidden NCHW<->NHWC conversions inside cuDNN are modelled as input +
    filter + output bytes), convs left as kernels, and linalg ops with no
    parallel loop (only dynamic shapes leave one, which
    `chlast-check-host-memory` rejects); per kernel, the threads it
    launches and its per-thread serial trip count (its reduction loops),
    the bytes and FLOPs of kernels and cuDNN calls, and a modelled time
    (bytes / bandwidth or FLOPs / peak, whichever is larger, H100 and H200
    data-sheet figures); it keeps them in module attributes.
    `phase=report` (at the end) adds the number of kernel launches and of
    constants uploaded to the device at load (and their bytes) and writes one JSON object to `stats` (`-` = stderr), with a `kernels`
    array of per-kernel entries.
  }];
  let options = [
    Option<"phase", "phase", "std::string", /*default=*/"\"collect\"",
           "collect | report">,
    Option<"statsFile", "stats", "std::string", /*default=*/"\"\"",
           "Write the JSON statistics to this file (- for stderr)">
  ];
}

def VectorizeCpu : Pass<"chlast-vectorize-cpu", "::mlir::ModuleOp"> {
  let summary = "Vectorize the CPU target's linalg ops on buffers";
  let description = [{
    On bufferized IR, after `chlast-convs-to-cudnn`: every static linalg op
    other than a convolution that upstream's vectorizer accepts becomes
    loops around 1-D vector operations. Consecutive loops every operand
    indexes contiguously are collapsed first (in a strided view, such as
    a pad's interior, only dims that are contiguous in memory); fills,
    copies and maps become generics first so that they collapse too; the
    vector dim is the loop that is the innermost dim of the most operand
    elements, tiled by the largest divisor of its extent up to
    `vector-size`; every other loop is tiled by 1.

    Before:
      linalg.generic {[parallel, parallel, parallel, parallel]}
        ins(%x : memref<1x64x64x32xf32>, %b : memref<32xf32>) outs(%y)
    After:
      scf.for %n, %h, %w {
        %v = vector.transfer_read %x[%n, %h, %w, 0] : vector<32xf32>
        ... arith on vector<32xf32> ...
        vector.transfer_write %r, %y[%n, %h, %w, 0]
      }
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"64",
           "Longest vector (elements) of one tile">,
    Option<"parallelThreshold", "parallel-threshold", "int64_t",
           /*default=*/"0",
           "Ops with at least this many iterations get an scf.parallel "
           "outermost loop when it is over a parallel dim (0: none)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def GathersToBroadcasts : Pass<"chlast-gathers-to-broadcasts", "::mlir::ModuleOp"> {
  let summary = "Nearest-neighbour upsampling gathers as broadcasts";
  let description = [{
    A `linalg.generic` on tensors whose body reads one tensor with
    `tensor.extract` at indices that are each a constant, a loop index, or
    a loop index divided by an integer (what importers make of ONNX Resize
    and PyTorch's nearest `interpolate`) becomes a generic that reads it
    through an indexing map over an expanded output (each upsampled dim
    split into [extent / s, s]), then collapses: a broadcast, which
    vectorizes and coalesces, instead of a gather. Which function of the
    loop an index is, is found by evaluating its computation for every
    value of the loop.

    Before:
      linalg.generic outs(%e : tensor<1x16x16x32xf32>) {
        %v = tensor.extract %x[%c0, floor(h / 2.0), floor(w / 2.0), %c]
      }
    After:
      %o = linalg.generic ins(%x : tensor<1x8x8x32xf32>)
             outs(tensor<1x8x2x8x2x32xf32>) {(n, c, h, i, w, j) -> (n, h, w, c)}
      tensor.collapse_shape %o into tensor<1x16x16x32xf32>
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ProfileOps : Pass<"chlast-profile-ops", "::mlir::ModuleOp"> {
  let summary = "Time every top-level op of bufferized functions";
  let description = [{
    On bufferized IR (after `chlast-lower-to-cudnn-calls`): every op of a
    function's body that does work (a linalg op, a copy, a call, a loop)
    gets a call to `chlast_profile_mark(id)` before it and
    `chlast_profile_mark(-1)` after it, so that a runtime defining that
    function can time it, whatever later passes make of the op. The module
    gets a `chlast.profile_ops` array attribute: one label per id (what the
    op is, its shape, the operations of its body, its location).
    `chlast-run --profile-ops` uses it.

    Before:
      linalg.generic {...} ins(%x : memref<1x8x8x32xf32>) outs(%y) { exp }
    After:
      call @chlast_profile_mark(%c3) : (i64) -> ()
      linalg.generic {...} ins(%x : memref<1x8x8x32xf32>) outs(%y) { exp }
      call @chlast_profile_mark(%c-1) : (i64) -> ()
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // CHLAST_PASSES_TD
