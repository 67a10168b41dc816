// Passes every check: upstream dialects only, static shapes, one public
// function (private helpers are fine), weights in a resource blob.
#map = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @main_graph(%arg0: tensor<1x8xf32>) -> tensor<1x8xf32> {
    %cst = arith.constant dense_resource<w> : tensor<1x8xf32>
    %0 = tensor.empty() : tensor<1x8xf32>
    %1 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]} ins(%arg0, %cst : tensor<1x8xf32>, tensor<1x8xf32>) outs(%0 : tensor<1x8xf32>) {
    ^bb0(%in: f32, %in_0: f32, %out: f32):
      %2 = arith.addf %in, %in_0 : f32
      linalg.yield %2 : f32
    } -> tensor<1x8xf32>
    %3 = call @helper(%1) : (tensor<1x8xf32>) -> tensor<1x8xf32>
    return %3 : tensor<1x8xf32>
  }
  func.func private @helper(%arg0: tensor<1x8xf32>) -> tensor<1x8xf32> {
    return %arg0 : tensor<1x8xf32>
  }
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F"
    }
  }
#-}
