// What an incomplete lowering leaves: a torch op and torch_c casts.
module {
  func.func @main_graph(%arg0: tensor<1x8xf32>) -> tensor<1x8xf32> {
    %0 = torch_c.from_builtin_tensor %arg0 : tensor<1x8xf32> -> !torch.vtensor<[1,8],f32>
    %1 = torch.aten.relu %0 : !torch.vtensor<[1,8],f32> -> !torch.vtensor<[1,8],f32>
    %2 = torch_c.to_builtin_tensor %1 : !torch.vtensor<[1,8],f32> -> tensor<1x8xf32>
    return %2 : tensor<1x8xf32>
  }
}
