//! LLVM's OpenMP runtime (`libomp.so.5`) for the CPU target's threads: the
//! loops `chlast-vectorize-cpu` makes parallel become OpenMP regions
//! (`convert-scf-to-openmp`), which call libomp's `__kmpc_*` entry points,
//! while Debian's oneDNN is built against GCC's libgomp (`GOMP_*`). Two
//! runtimes in one process would each keep a pool of spinning threads on
//! the same cores. libomp also implements the `GOMP_*` ABI, so it is loaded
//! first and globally ([`load`], before oneDNN): oneDNN's OpenMP calls then
//! bind to it, and one thread pool serves both.
//!
//! Without libomp (`CHLAST_OMP_LIB` names another path) the CPU target
//! still works, single-threaded outside oneDNN.

use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
use std::{ffi::c_int, sync::OnceLock};

/// The environment variable naming libomp's path.
pub const LIBRARY_ENV: &str = "CHLAST_OMP_LIB";

/// Where Debian's `libomp-22-dev` puts the runtime, after the loader's own
/// search.
const CANDIDATES: &[&str] = &[
    "libomp.so.5",
    concat!(env!("MLIR_SYS_220_PREFIX"), "/lib/libomp.so.5"),
];

/// libomp, loaded once per process with `RTLD_GLOBAL` (so that oneDNN's
/// `GOMP_*` calls and the JIT's `__kmpc_*` calls resolve to it), or why it
/// could not be.
pub fn load() -> Result<&'static Library, String> {
    static LIBRARY: OnceLock<Result<Library, String>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| {
            let candidates: Vec<String> = match std::env::var(LIBRARY_ENV) {
                Ok(path) if !path.is_empty() => vec![path],
                _ => CANDIDATES.iter().map(|c| c.to_string()).collect(),
            };
            let mut errors = Vec::new();
            for path in &candidates {
                // SAFETY: loading libomp runs its initializers only; its
                // symbols are interposed process-wide on purpose (above).
                match unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) } {
                    Ok(library) => return Ok(library),
                    Err(error) => errors.push(format!("{path}: {error}")),
                }
            }
            Err(format!(
                "LLVM's OpenMP runtime is not available ({}; install libomp-22-dev \
                 or run scripts/deps.sh): the CPU target runs its loops on one thread",
                errors.join("; ")
            ))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// `omp_set_num_threads(threads)` in libomp, for the calling thread's
/// parallel regions (the JIT's and oneDNN's alike).
pub fn set_threads(threads: usize) -> Result<(), String> {
    let library = load()?;
    let threads = c_int::try_from(threads).map_err(|_| format!("{threads} threads"))?;
    // SAFETY: omp_set_num_threads(int) is part of the OpenMP API libomp
    // implements.
    unsafe {
        let set = library
            .get::<unsafe extern "C" fn(c_int)>(b"omp_set_num_threads\0")
            .map_err(|e| format!("libomp has no omp_set_num_threads: {e}"))?;
        set(threads);
    }
    Ok(())
}
