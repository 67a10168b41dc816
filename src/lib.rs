//! chlast: channels-last layouts for convolution-heavy MLIR programs.
//!
//! The crate has four parts:
//! - [`dialect`]: the `chlast` dialect (`#chlast.layout`, `chlast.to_layout`),
//!   built from TableGen in `dialects/chlast` and exposed through its C API;
//! - [`layout`]: the layout algebra the passes reason with;
//! - [`transforms`]: the passes, one per file, written in Rust, on the safe
//!   IR access of [`ir`] (the FFI boundary of the passes);
//! - [`passes`]: registration of the passes with MLIR and typed constructors
//!   for embedding them in a `melior` pass manager.
//!
//! ```no_run
//! use melior::{Context, dialect::DialectRegistry, ir::Module, pass::PassManager};
//!
//! let registry = DialectRegistry::new();
//! chlast::dialect::register_upstream_and_chlast(&registry);
//! let context = Context::new();
//! context.append_dialect_registry(&registry);
//! context.load_all_available_dialects();
//! chlast::passes::register_passes();
//! let mut module = Module::parse(&context, "module {}").unwrap();
//! let pm = PassManager::new(&context);
//! let options = chlast::passes::ConvChannelsLastOptions::default();
//! pm.add_pass(chlast::passes::conv_channels_last(&options).unwrap());
//! pm.run(&mut module).unwrap();
//! ```

pub mod aot;
pub mod dialect;
pub mod error;
pub mod ffi;
pub mod fuzz;
pub mod generate;
pub mod ir;
pub mod layout;
pub mod min_cut;
pub mod passes;
pub mod runtime;
pub mod transforms;

pub use error::Error;

/// The LLVM/MLIR installation chlast is built against and finds its tools
/// and runtime libraries in (`MLIR_SYS_220_PREFIX`, set once, in
/// `.cargo/config.toml`; the lit configuration and the Makefile read it
/// from there too).
pub const LLVM_PREFIX: &str = env!("MLIR_SYS_220_PREFIX");

/// The version of chlast, as `chlast-opt --version` prints it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs a command-line tool's `body` on a thread with a 1 GiB stack (MLIR's
/// parser and passes recurse once per nesting level; only the pages used
/// are committed) and exits the process from that thread with the code
/// `body` returns, so nothing is torn down after MLIR has run. Returns
/// only if `body` panicked (its message is printed already).
pub fn run_on_large_stack(
    name: &str,
    body: impl FnOnce() -> i32 + Send + 'static,
) -> std::process::ExitCode {
    let worker = std::thread::Builder::new()
        .name(name.into())
        .stack_size(1 << 30)
        .spawn(move || {
            let code = body();
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            std::process::exit(code)
        })
        .unwrap_or_else(|e| panic!("cannot start the {name} thread: {e}"));
    let _ = worker.join();
    std::process::ExitCode::FAILURE
}
