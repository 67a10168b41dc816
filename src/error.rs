//! Errors at chlast's API boundaries.

/// What can go wrong when using chlast as a library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pass option string MLIR's option parser rejected.
    #[error("invalid options for pass '{pass}': {message}")]
    InvalidPassOptions {
        /// The pass's command-line name.
        pass: &'static str,
        /// MLIR's message.
        message: String,
    },
    /// A layout that is not a permutation of the tensor's dimensions.
    #[error("invalid layout {perm:?}: {reason}")]
    InvalidLayout {
        /// The offending permutation.
        perm: Vec<i64>,
        /// Why it is rejected.
        reason: &'static str,
    },
}
