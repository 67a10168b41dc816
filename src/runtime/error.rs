//! Errors of the runtime: each message is complete enough to be printed as
//! `chlast-run: <message>`.

/// What can go wrong when compiling, feeding or running a program.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The CUDA target failed: no driver, no device, no cuDNN, or a driver
    /// or cuDNN call failed.
    #[error("{0}")]
    Cuda(#[from] super::cuda::CudaError),
    /// A library the target needs (oneDNN for `--target cpu`) cannot be
    /// loaded; the message says how to get it.
    #[error("{0}")]
    Library(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The input does not parse or verify; the MLIR diagnostics, one per
    /// line, each starting with `file:line:col:`.
    #[error("{0}")]
    Parse(String),
    /// The module has no public function to run.
    #[error("no public func.func to run in {source_name}")]
    NoEntry {
        /// The input's name.
        source_name: String,
    },
    /// Several public functions and no `--entry`.
    #[error(
        "{source_name} has several public functions ({}): choose one with --entry NAME",
        candidates.iter().map(|c| format!("@{c}")).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousEntry {
        /// The input's name.
        source_name: String,
        /// The public functions.
        candidates: Vec<String>,
    },
    /// The requested entry does not exist (or is not a public func.func with
    /// a body).
    #[error("no public function @{name} in {source_name}{}", hint(candidates))]
    EntryNotFound {
        /// The requested name.
        name: String,
        /// The input's name.
        source_name: String,
        /// The public functions that do exist.
        candidates: Vec<String>,
    },
    /// The requested entry is private or only a declaration.
    #[error("@{name} in {source_name} is private or has no body; only public functions can be run")]
    EntryNotPublic {
        /// The requested name.
        name: String,
        /// The input's name.
        source_name: String,
    },
    /// An argument or result is not a statically shaped ranked tensor.
    #[error(
        "{what} of @{function} has type {ty}: only statically shaped ranked tensors are supported"
    )]
    UnsupportedType {
        /// The function.
        function: String,
        /// E.g. `argument 0` or `result 1`.
        what: String,
        /// The MLIR type.
        ty: String,
    },
    /// An argument or result has an element type the runner cannot pass.
    #[error(
        "unsupported element type {element} ({what} of @{function}: {ty}); supported: f32, f16, bf16, i32, i64"
    )]
    UnsupportedElementType {
        /// The function.
        function: String,
        /// E.g. `argument 0` or `result 1`.
        what: String,
        /// The element type as MLIR prints it.
        element: String,
        /// The full MLIR type.
        ty: String,
    },
    /// A tensor the runner would allocate is larger than the memory
    /// available (or than 2^64 bytes).
    #[error(
        "{what} needs {}, more than the {} of memory available",
        bytes.map_or("more than 2^64 bytes".to_string(), |b| format!("{b} bytes")),
        if *available == u64::MAX { "unknown amount".to_string() } else { format!("{available} bytes") }
    )]
    TooLarge {
        /// What is too large (an argument, a result, an .npy file).
        what: String,
        /// Bytes needed (`None`: more than 2^64).
        bytes: Option<u64>,
        /// Bytes available.
        available: u64,
    },
    /// The IR carries `#chlast.layout` encodings or `chlast.to_layout` and
    /// the materialization pass is not registered.
    #[error("encoded IR: run --chlast-materialize-layouts first (not available yet)")]
    EncodedIr,
    /// A pass pipeline failed to parse or run.
    #[error("{stage} failed{}", details(messages))]
    Pipeline {
        /// Which step (`materializing layouts`, `lowering to LLVM`).
        stage: &'static str,
        /// The MLIR diagnostics or parser message.
        messages: Vec<String>,
    },
    /// The JIT could not compile the lowered module.
    #[error(
        "cannot create the execution engine for @{function} (LLVM translation or JIT compilation failed)"
    )]
    Engine {
        /// The entry function.
        function: String,
    },
    /// The compiled function could not be invoked.
    #[error("cannot invoke @{function}: {message}")]
    Invoke {
        /// The entry function.
        function: String,
        /// Why.
        message: String,
    },
    /// The number of inputs differs from the number of arguments.
    #[error("@{function} takes {expected} argument(s), {given} input(s) given")]
    InputCount {
        /// The entry function.
        function: String,
        /// Number of arguments.
        expected: usize,
        /// Number of inputs.
        given: usize,
    },
    /// An input's type differs from its argument's.
    #[error("argument {index} of @{function} is {expected}, but the input{} is {given}", origin.as_ref().map(|o| format!(" ({o})")).unwrap_or_default())]
    InputMismatch {
        /// The entry function.
        function: String,
        /// Argument position.
        index: usize,
        /// Where the input came from (e.g. a file name), if known.
        origin: Option<String>,
        /// The argument's type.
        expected: String,
        /// The input's type.
        given: String,
    },
    /// Two programs compared with each other have different signatures.
    #[error("--compare needs the same signature: {reference}, but {other}")]
    SignatureMismatch {
        /// `@f in a.mlir is (...) -> (...)`.
        reference: String,
        /// The same for the other program.
        other: String,
    },
    /// A malformed or unsupported `.npy` file.
    #[error("{path}: {message}")]
    Npy {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

fn hint(candidates: &[String]) -> String {
    if candidates.is_empty() {
        " (it has no public functions)".to_string()
    } else {
        format!(
            " (public functions: {})",
            candidates
                .iter()
                .map(|c| format!("@{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn details(messages: &[String]) -> String {
    if messages.is_empty() {
        String::new()
    } else {
        format!(":\n{}", messages.join("\n"))
    }
}
