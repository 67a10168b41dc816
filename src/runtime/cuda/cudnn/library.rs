//! Finding and loading `libcudnn.so.9` (and checking it is cuDNN 9) before
//! cudarc's bindings are used.

use crate::runtime::cuda::{CUDNN_LIB_ENV, CudaError};
use cudarc::cudnn::sys as dnn;
use std::{
    ffi::OsStr,
    panic::{AssertUnwindSafe, catch_unwind},
    sync::OnceLock,
};

/// Makes sure `libcudnn.so.9` is loaded and is cuDNN 9, so that cudarc's
/// bindings will not panic. Honours [`CUDNN_LIB_ENV`] (see the module docs
/// of [`super`]); the outcome is decided once per process.
pub fn load_cudnn() -> Result<(), CudaError> {
    static LOADED: OnceLock<Result<(), CudaError>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            let explicit = std::env::var_os(CUDNN_LIB_ENV).filter(|path| !path.is_empty());
            load_from(explicit.as_deref())
        })
        .clone()
}

/// Loads cuDNN, first from `explicit` (a full path) if given.
pub(super) fn load_from(explicit: Option<&OsStr>) -> Result<(), CudaError> {
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        // The explicit library, and the address of its cudnnGetVersion.
        let preloaded = match explicit {
            Some(path) => {
                let library = preload(path)?;
                // SAFETY: only the symbol's address is taken.
                let version_symbol =
                    unsafe { library.get::<unsafe extern "C" fn() -> usize>(b"cudnnGetVersion") }
                        .map(|symbol| symbol.as_raw_ptr())
                        .map_err(|_| CudaError::CudnnNotFound {
                            detail: Some(format!(
                                "{CUDNN_LIB_ENV}={} has no cudnnGetVersion: it is not cuDNN",
                                path.to_string_lossy()
                            )),
                        })?;
                Some((path, library, version_symbol))
            }
            None => None,
        };
        // SAFETY: probing dlopen's libcudnn under cudarc's candidate names
        // and closes them again; cuDNN's initializers have no preconditions.
        if !unsafe { dnn::is_culib_present() } {
            let detail = match &preloaded {
                Some((path, ..)) => format!(
                    "{CUDNN_LIB_ENV}={} was loaded, but its soname is not libcudnn.so.9",
                    path.to_string_lossy()
                ),
                None => "not on the dynamic loader's path (LD_LIBRARY_PATH, ldconfig)".to_string(),
            };
            return Err(CudaError::CudnnNotFound {
                detail: Some(detail),
            });
        }
        // SAFETY: the library was just found, so cudarc's lookup succeeds.
        let library = unsafe { dnn::culib() };
        if let Some((path, ours, mine)) = preloaded {
            // SAFETY: only the symbol's address is taken.
            let theirs = unsafe {
                library
                    .get::<unsafe extern "C" fn() -> usize>(b"cudnnGetVersion")
                    .ok()
                    .and_then(|symbol| symbol.try_as_raw_ptr())
            };
            if Some(mine) != theirs {
                return Err(CudaError::CudnnNotFound {
                    detail: Some(format!(
                        "{CUDNN_LIB_ENV}={} was loaded, but another libcudnn found by name \
                         (an unversioned libcudnn.so on the loader's path?) takes precedence",
                        path.to_string_lossy()
                    )),
                });
            }
            // cudarc holds its own reference; keep ours for the process too.
            std::mem::forget(ours);
        }
        // SAFETY: the library is loaded; cudnnGetVersion has no arguments.
        let version = unsafe { dnn::cudnnGetVersion() };
        if version / 10000 != 9 {
            return Err(CudaError::CudnnVersion {
                found: format!(
                    "{}.{}.{}",
                    version / 10000,
                    version % 10000 / 100,
                    version % 100
                ),
            });
        }
        Ok(())
    }));
    loaded.unwrap_or_else(|_| {
        Err(CudaError::CudnnNotFound {
            detail: Some("loading it panicked (a missing symbol?)".to_string()),
        })
    })
}

/// Loads `path` globally, so that a later `dlopen("libcudnn.so.9")` (by
/// cudarc) finds it by its soname.
fn preload(path: &OsStr) -> Result<libloading::os::unix::Library, CudaError> {
    use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
    // SAFETY: cuDNN's initializers have no preconditions.
    unsafe { Library::open(Some(path), RTLD_NOW | RTLD_GLOBAL) }.map_err(|error| {
        // libloading's message is "dlopen failed"; the loader's is its source.
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        CudaError::CudnnNotFound {
            detail: Some(format!(
                "{CUDNN_LIB_ENV}={}: {message}",
                path.to_string_lossy()
            )),
        }
    })
}
