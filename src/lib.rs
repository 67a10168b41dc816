//! chlast: channels-last layouts for convolution-heavy MLIR programs.
//!
//! The crate has four parts:
//! - [`dialect`]: the `chlast` dialect (`#chlast.layout`, `chlast.to_layout`),
//!   built from TableGen in `dialects/chlast` and exposed through its C API;
//! - [`layout`]: the layout algebra the passes reason with;
//! - [`transforms`]: the passes, one per file, written in Rust;
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

pub mod dialect;
pub mod error;
pub mod ffi;
pub mod fuzz;
pub mod generate;
pub mod layout;
pub mod min_cut;
pub mod passes;
pub mod runtime;
pub mod transforms;

pub use error::Error;

/// The version of chlast, as `chlast-opt --version` prints it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
