// Deeply nested input (4000 nested regions; an attribute of 100 000 nested
// brackets) parses, verifies and prints: chlast-opt works on a thread with a
// 1 GiB stack, where the 8 MiB main thread overflowed.

// RUN: python3 -c "n = 4000; print('func.func @deep() {\n' + 'scf.execute_region {\n' * n + 'scf.yield\n}\n' * n + 'return\n}')" > %t.regions.mlir
// RUN: %chlast-opt %t.regions.mlir | grep -c scf.execute_region | FileCheck %s --check-prefix=REGIONS
// REGIONS: {{^}}4000{{$}}

// RUN: python3 -c "n = 100000; print('func.func @deep() attributes {a = ' + '[' * n + '1' + ']' * n + '} {\n  return\n}')" > %t.brackets.mlir
// RUN: %chlast-opt %t.brackets.mlir -o %t.out.mlir
// RUN: grep -c 'func.func @deep' %t.out.mlir | FileCheck %s --check-prefix=BRACKETS
// BRACKETS: {{^}}1{{$}}
