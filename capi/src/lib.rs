//! `libchlast_capi.a`: everything a C or C++ host needs to use chlast
//! through its C API (`dialects/chlast/include/chlast-c/Chlast.h`) and
//! MLIR's: the chlast dialect and passes (C++), the Rust body of
//! `conv-channels-last`, and MLIR itself, linked statically (one copy of
//! MLIR in the host program). `chlastInitialize` installs the Rust pass
//! bodies and registers every chlast pass.

/// `chlastInitialize()`: installs the Rust pass bodies and puts chlast's
/// passes into MLIR's global registry (idempotent). Call it before
/// creating or parsing a chlast pass.
#[unsafe(no_mangle)]
pub extern "C" fn chlastInitialize() {
    chlast::passes::register_passes();
}
