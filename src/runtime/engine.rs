//! A thin owner of MLIR's `ExecutionEngine` (the C API's, so that a failed
//! creation is detected instead of being used as a null engine) with
//! packed invocation.

use super::RuntimeError;
use melior::ir::Module;
use mlir_sys::*;
use std::{ffi::c_void, path::Path};

/// The environment variable naming a file to write the JIT-compiled object
/// code to (for inspecting the machine code, e.g. with `objdump -d`).
pub const JIT_OBJECT_ENV: &str = "CHLAST_JIT_OBJECT";

/// A JIT-compiled LLVM-dialect module.
pub struct Engine {
    raw: MlirExecutionEngine,
}

impl Engine {
    /// JIT-compiles `module` (already in the LLVM dialect; the context must
    /// have the LLVM translations registered) at `opt_level` (0 to 3),
    /// loading `shared_libraries` for external symbols, and runs its global
    /// constructors. `None` when translation or compilation fails.
    pub fn new(module: &Module, opt_level: u32, shared_libraries: &[&Path]) -> Option<Self> {
        Self::with_symbols(module, opt_level, shared_libraries, &[])
    }

    /// Like [`Engine::new`], and resolves the external functions named in
    /// `symbols` to the given addresses (registered before global
    /// constructors run, so that they may already call them).
    pub fn with_symbols(
        module: &Module,
        opt_level: u32,
        shared_libraries: &[&Path],
        symbols: &[(&str, *mut c_void)],
    ) -> Option<Self> {
        // `CHLAST_JIT_OBJECT=file.o` keeps the compiled machine code for
        // inspection (objdump -d): what the host CPU actually runs.
        let dump_object = std::env::var(JIT_OBJECT_ENV).ok().filter(|p| !p.is_empty());
        // NUL-terminated: MLIR's ExecutionEngine reads these paths as C
        // strings, past the length a plain `MlirStringRef` gives.
        let paths: Vec<std::ffi::CString> = shared_libraries
            .iter()
            .map(|p| std::ffi::CString::new(p.to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .ok()?;
        let refs: Vec<MlirStringRef> = paths
            .iter()
            .map(|p| string_ref(p.to_str().expect("paths are UTF-8 (from Strings)")))
            .collect();
        // SAFETY: `module` is live; `refs` points into `paths`, both alive
        // for the call.
        let raw = unsafe {
            mlirExecutionEngineCreate(
                module.to_raw(),
                opt_level.min(3) as i32,
                refs.len() as i32,
                refs.as_ptr(),
                dump_object.is_some(),
                false,
            )
        };
        if raw.ptr.is_null() {
            return None;
        }
        for (name, address) in symbols {
            // SAFETY: the engine is live; the name is copied by MLIR; the
            // address is the caller's function with the declared ABI.
            unsafe { mlirExecutionEngineRegisterSymbol(raw, string_ref(name), *address) };
        }
        // SAFETY: a freshly created engine; initialization runs global
        // constructors once.
        unsafe { mlirExecutionEngineInitialize(raw) };
        if let Some(path) = dump_object {
            // SAFETY: the engine is live and was created with object dumps
            // enabled; MLIR copies the file name.
            unsafe { mlirExecutionEngineDumpToObjectFile(raw, string_ref(&path)) };
        }
        Some(Engine { raw })
    }

    /// Whether the packed wrapper `_mlir_<name>` exists.
    pub fn has_packed(&self, name: &str) -> bool {
        // SAFETY: lookup only reads the engine's symbol table.
        !unsafe { mlirExecutionEngineLookupPacked(self.raw, string_ref(name)) }.is_null()
    }

    /// Calls `_mlir_ciface_<name>` through its packed wrapper with
    /// `arguments`, each a pointer to one argument value of the function
    /// (MLIR's C API adds the `_mlir_ciface_` prefix).
    ///
    /// # Safety
    ///
    /// `arguments` must match the function's parameters exactly: one
    /// pointer per parameter, each pointing to a value of the parameter's
    /// type (for `_mlir_ciface_*` functions, a pointer to a pointer to a
    /// memref descriptor whose buffers are large enough).
    pub unsafe fn invoke_ciface(
        &self,
        name: &str,
        arguments: &mut [*mut c_void],
    ) -> Result<(), RuntimeError> {
        // SAFETY: forwarded to the caller.
        let result = unsafe {
            mlirExecutionEngineInvokePacked(self.raw, string_ref(name), arguments.as_mut_ptr())
        };
        if result.value == 0 {
            return Err(RuntimeError::Invoke {
                function: name.to_string(),
                message: format!("_mlir_ciface_{name} not found in the JIT-compiled module"),
            });
        }
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the engine is owned and destroyed once.
        unsafe { mlirExecutionEngineDestroy(self.raw) }
    }
}

use crate::ir::string_ref;
