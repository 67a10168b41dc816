// A causal video-VAE residual block in torch-mlir's style: conv3d k3 with
// time padded on the low side only, bias broadcast into the conv's outs,
// SiLU as a linalg.generic, a second conv3d, and a residual add.
//
//   chlast-opt --conv-channels-last examples/vae_resblock3d.mlir
//
// leaves two runtime conversions (network input and output); the filters
// are constants re-typed at compile time.
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
module {
  func.func @vae_resblock3d(%x: tensor<1x8x3x8x8xf32>) -> tensor<1x8x3x8x8xf32> {
    %zero = arith.constant 0.0 : f32
    %one = arith.constant 1.0 : f32
    %w0 = arith.constant dense<0.01> : tensor<8x8x3x3x3xf32>
    %b0 = arith.constant dense<0.1> : tensor<8xf32>
    %w1 = arith.constant dense<-0.02> : tensor<8x8x3x3x3xf32>
    %b1 = arith.constant dense<0.2> : tensor<8xf32>
    %p0 = tensor.pad %x low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1] {
    ^bb0(%i0: index, %i1: index, %i2: index, %i3: index, %i4: index):
      tensor.yield %zero : f32
    } : tensor<1x8x3x8x8xf32> to tensor<1x8x5x10x10xf32>
    %e = tensor.empty() : tensor<1x8x3x8x8xf32>
    %bias0 = linalg.broadcast ins(%b0 : tensor<8xf32>) outs(%e : tensor<1x8x3x8x8xf32>) dimensions = [0, 2, 3, 4]
    %c0 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
            ins(%p0, %w0 : tensor<1x8x5x10x10xf32>, tensor<8x8x3x3x3xf32>) outs(%bias0 : tensor<1x8x3x8x8xf32>) -> tensor<1x8x3x8x8xf32>
    %silu = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
            ins(%c0 : tensor<1x8x3x8x8xf32>) outs(%e : tensor<1x8x3x8x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %n = arith.negf %in : f32
      %ex = math.exp %n : f32
      %d = arith.addf %ex, %one : f32
      %s = arith.divf %in, %d : f32
      linalg.yield %s : f32
    } -> tensor<1x8x3x8x8xf32>
    %p1 = tensor.pad %silu low[0, 0, 2, 1, 1] high[0, 0, 0, 1, 1] {
    ^bb0(%i0: index, %i1: index, %i2: index, %i3: index, %i4: index):
      tensor.yield %zero : f32
    } : tensor<1x8x3x8x8xf32> to tensor<1x8x5x10x10xf32>
    %bias1 = linalg.broadcast ins(%b1 : tensor<8xf32>) outs(%e : tensor<1x8x3x8x8xf32>) dimensions = [0, 2, 3, 4]
    %c1 = linalg.conv_3d_ncdhw_fcdhw {dilations = dense<1> : vector<3xi64>, strides = dense<1> : vector<3xi64>}
            ins(%p1, %w1 : tensor<1x8x5x10x10xf32>, tensor<8x8x3x3x3xf32>) outs(%bias1 : tensor<1x8x3x8x8xf32>) -> tensor<1x8x3x8x8xf32>
    %sum = linalg.generic {indexing_maps = [#id5, #id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
            ins(%c0, %c1 : tensor<1x8x3x8x8xf32>, tensor<1x8x3x8x8xf32>) outs(%e : tensor<1x8x3x8x8xf32>) {
    ^bb0(%a: f32, %b: f32, %out: f32):
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    } -> tensor<1x8x3x8x8xf32>
    return %sum : tensor<1x8x3x8x8xf32>
  }
}
