# Locates the installed MLIR/LLVM and pulls in the CMake helpers the dialect
# build needs (mlir_tablegen, LLVM flags). build.rs passes MLIR_DIR from
# MLIR_SYS_220_PREFIX (.cargo/config.toml).
if(NOT MLIR_DIR)
  message(FATAL_ERROR "chlast: set MLIR_DIR (build.rs passes <MLIR_SYS_220_PREFIX>/lib/cmake/mlir)")
endif()
find_package(MLIR REQUIRED CONFIG)
message(STATUS "chlast: MLIR from ${MLIR_DIR}")

list(APPEND CMAKE_MODULE_PATH "${MLIR_CMAKE_DIR}" "${LLVM_CMAKE_DIR}")
include(TableGen)
include(AddLLVM)
include(AddMLIR)
include(HandleLLVMOptions)

include_directories(${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
separate_arguments(CHLAST_LLVM_DEFINITIONS NATIVE_COMMAND "${LLVM_DEFINITIONS}")
add_definitions(${CHLAST_LLVM_DEFINITIONS})
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
