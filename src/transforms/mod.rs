//! chlast's passes written in Rust, one per module. Each has an FFI entry
//! point that MLIR's pass class calls (declared in `Passes.td`, bodies
//! installed by `crate::passes::register_passes`) and works on the IR only
//! through melior's handles and [`crate::ir`].

pub mod conv_channels_last;
