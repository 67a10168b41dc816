// RUN: not %chlast-opt "--chlast-lower-to-cuda=chip=sm_50" %s 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not %chlast-opt "--chlast-lower-to-cuda=block-size=0" %s 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not %chlast-opt "--chlast-lower-to-cuda=chip=sm_80 nonsense=1" %s 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not %chlast-opt "--chlast-cuda-stats=phase=later" %s 2>&1 | FileCheck %s --check-prefix=PHASE
// RUN: not %chlast-opt "--chlast-cuda-stats=phase=report stats=-" %s 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: not %chlast-opt "--chlast-lower-to-cuda=stats=/nonexistent/dir/s.json" %s 2>&1 | FileCheck %s --check-prefix=FILE

// CHIP: chlast-lower-to-cuda: chip must be sm_70 ... sm_90, not 'sm_50'
// BLOCK: chlast-lower-to-cuda: block-size must be in 1..1024
// OPTION: no such option nonsense
// PHASE: chlast-cuda-stats: phase must be collect or report, not 'later'
// ORDER: chlast-cuda-stats: phase=report needs phase=collect earlier in the pipeline
// FILE: chlast-cuda-stats: cannot write statistics to '/nonexistent/dir/s.json'
func.func @add(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = arith.addf %a, %a : tensor<4xf32>
  return %r : tensor<4xf32>
}
