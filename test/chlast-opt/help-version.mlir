// RUN: %chlast-opt --help | FileCheck %s --check-prefix=HELP
// HELP: --conv-channels-last
// HELP-SAME: Give convolutions channels-last layouts and propagate them
// HELP-NEXT: --cost-model
// HELP-NEXT: --enable
// HELP-NEXT: --max-ops-per-conv=<uint>
// HELP-NEXT: --stats=<string>
// HELP-NEXT: --strategy=<value>
// HELP-NEXT: =min-cut
// HELP-NEXT: =per-conv

// RUN: %chlast-opt --version | FileCheck %s --check-prefix=VERSION
// VERSION: LLVM version 22
// VERSION: chlast version {{[0-9]+\.[0-9]+\.[0-9]+}}
