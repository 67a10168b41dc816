# chlast: two commands from a fresh Debian 12 machine.
#   make demo   builds chlast-opt and runs --conv-channels-last on an example
#   make test   fmt + clippy + unit tests + the lit suite (what CI runs)
# The embedding routes (README "Embedding"), which make test builds too:
#   make runtime  libchlast_cpu_runtime.so, libchlast_cuda_runtime.so (chlast-compile objects)
#   make capi     libchlast_capi.a + chlast_capi.link (the C API for C/C++ hosts)
#   make plugin   libChlastPlugin.so (chlast in stock mlir-opt)

CARGO ?= cargo
# The LLVM/MLIR prefix, set once in .cargo/config.toml.
LLVM_PREFIX := $(shell sed -n 's/^MLIR_SYS_220_PREFIX = "\(.*\)"/\1/p' .cargo/config.toml)
DEMO_INPUT ?= examples/vae_resblock3d.mlir
# ptxas and libcudnn.so.9 from PyPI (scripts/deps.sh), for the CUDA checks.
CHLAST_CUDA_TOOLS ?= /opt/chlast-cuda
export CHLAST_CUDA_TOOLS
export CHLAST_PTXAS ?= $(CHLAST_CUDA_TOOLS)/nvidia/cuda_nvcc/bin/ptxas
export LD_LIBRARY_PATH := $(CHLAST_CUDA_TOOLS)/nvidia/cudnn/lib$(if $(LD_LIBRARY_PATH),:$(LD_LIBRARY_PATH))

.PHONY: deps build runtime capi plugin demo test lit fmt clippy

deps:
	@./scripts/deps.sh

build: deps
	$(CARGO) build --bin chlast-opt --bin chlast-run --bin chlast-compile

# libchlast_cpu_runtime.so and libchlast_cuda_runtime.so: what objects from
# `chlast-compile --target cpu` / `--target cuda` link against (cpu-runtime/,
# cuda-runtime/, each with its C header).
runtime: deps
	$(CARGO) build -p chlast-cpu-runtime
	$(CARGO) build -p chlast-cuda-runtime

demo: build
	./target/debug/chlast-opt --conv-channels-last=stats=- $(DEMO_INPUT)

fmt: deps
	$(CARGO) fmt --all --check

clippy: deps
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# libchlast_capi.a: the C API with chlast, its Rust pass body and MLIR, for
# C/C++ hosts (capi/, example examples/c-api/), and next to it the native
# libraries it needs at link time (chlast_capi.link, one line of -l flags).
CAPI_LINK = $(or $(CARGO_TARGET_DIR),target)/debug/chlast_capi.link
capi: deps
	$(CARGO) rustc -p chlast-capi -- --print native-static-libs 2>&1 \
	  | sed -n 's/.*native-static-libs: //p' > $(CAPI_LINK).tmp
	test -s $(CAPI_LINK).tmp && mv $(CAPI_LINK).tmp $(CAPI_LINK)

# libChlastPlugin.so: the chlast dialect, passes and pipelines for stock
# mlir-opt (--load-dialect-plugin / --load-pass-plugin). MLIR and LLVM come
# from the shared libMLIR.so / libLLVM.so mlir-opt uses, linked before
# libchlast_capi.a so that the plugin holds no second copy of them; the C
# API objects and chlast (C++ and Rust) come from the archive.
PLUGIN = $(or $(CARGO_TARGET_DIR),target)/debug/libChlastPlugin.so
plugin: capi
	$(CXX) -shared -o $(PLUGIN).tmp \
	  -Wl,--undefined=mlirGetDialectPluginInfo -Wl,--undefined=mlirGetPassPluginInfo \
	  -L$(LLVM_PREFIX)/lib -Wl,--no-as-needed -lMLIR -lLLVM -Wl,--as-needed \
	  $(dir $(PLUGIN))libchlast_capi.a \
	  $$(tr ' ' '\n' < $(CAPI_LINK) | grep -v -e '^-lLLVM' -e '^-lPolly' | tr '\n' ' ') \
	  -Wl,-rpath,$(LLVM_PREFIX)/lib
	mv $(PLUGIN).tmp $(PLUGIN)

test: fmt clippy runtime plugin
	$(CARGO) test --lib --test integration

lit: build
	CHLAST_OPT=$(CURDIR)/target/debug/chlast-opt $(LLVM_PREFIX)/bin/lit -sv test
