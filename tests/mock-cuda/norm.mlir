// A conv-less program for the mock driver (tests/mock-cuda/libcuda.c): a
// per-channel affine with constant weights, a full reduction into a 0-d
// result (a one-thread kernel) and an RMS-norm style sum over channels.
func.func @norm(%x: tensor<1x8x4x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<f32>) {
  %scale = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %shift = arith.constant dense<0.5> : tensor<8xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %scale, %shift : tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%v: f32, %s: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %s : f32
    %a = arith.addf %m, %b : f32
    linalg.yield %a : f32
  } -> tensor<1x8x4x4xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x1x4x4xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, 0, h, w)>], iterator_types = ["parallel", "reduction", "parallel", "parallel"]} ins(%y : tensor<1x8x4x4xf32>) outs(%z2 : tensor<1x1x4x4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %p = arith.mulf %v, %v : f32
    %r = arith.addf %p, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1x1x4x4xf32>
  %e0 = tensor.empty() : tensor<f32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
  %total = linalg.reduce ins(%sq : tensor<1x1x4x4xf32>) outs(%z0 : tensor<f32>) dimensions = [0, 1, 2, 3]
    (%v: f32, %acc: f32) {
      %r = arith.addf %v, %acc : f32
      linalg.yield %r : f32
    }
  return %y, %total : tensor<1x8x4x4xf32>, tensor<f32>
}
