//! chlast's passes, one per file. Each has a public core function on a
//! module and a thin entry point that MLIR's pass classes call.

pub mod conv_channels_last;
pub(crate) mod ir;
