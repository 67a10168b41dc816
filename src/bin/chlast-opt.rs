//! `chlast-opt`: `mlir-opt` with chlast's dialect and passes.
//!
//! Every upstream dialect and pass is available, plus `--conv-channels-last`
//! and the `chlast` dialect. Flags follow `mlir-opt` (`-o`, `--split-input-file`,
//! `--verify-diagnostics`, `--pass-pipeline=...`, `--mlir-print-ir-after-all`).

use std::ffi::{CString, c_char};
use std::os::unix::ffi::OsStringExt;

/// Stack of the thread that parses and transforms: MLIR's parser, verifier
/// and printer recurse once per nesting level, and deeply nested input
/// (thousands of nested regions, 100 000 nested brackets) overflows the 8
/// MiB main thread. Only the pages used are committed.
const STACK_BYTES: usize = 1 << 30;

fn main() {
    // The worker exits the process itself, as mlir-opt does from its main
    // thread: a thread that returns runs glibc's thread teardown, which
    // crashed after some parse errors (upstream's parser leaves the heap in
    // a state only teardown trips over; found by scripts/fuzz-text.py).
    let worker = std::thread::Builder::new()
        .name("chlast-opt".into())
        .stack_size(STACK_BYTES)
        .spawn(|| {
            let code = run();
            use std::io::Write as _;
            let _ = std::io::stdout().flush();
            std::process::exit(code)
        })
        .expect("cannot start the chlast-opt thread");
    let _ = worker.join();
    std::process::exit(101);
}

fn run() -> i32 {
    chlast::passes::register_passes();
    let mut args: Vec<CString> = std::env::args_os()
        .map(|arg| CString::new(arg.into_vec()).unwrap_or_else(|_| c"<invalid argument>".into()))
        .collect();
    // The IR is verified after parsing and after every pass (unless the
    // user turns that off), so printing need not verify it a third time:
    // that saves ~13% of a large run.
    let mentions = |flag: &str| {
        args.iter()
            .any(|a| a.to_bytes().trim_ascii_start().starts_with(flag.as_bytes()))
    };
    if !mentions("--verify-each")
        && !mentions("-verify-each")
        && !mentions("--mlir-print-assume-verified")
    {
        args.push(c"--mlir-print-assume-verified".into());
    }
    let mut argv: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr() as *mut c_char).collect();
    argv.push(std::ptr::null_mut());
    let version = CString::new(chlast::VERSION).expect("version has no NUL");
    // SAFETY: argv holds `args.len()` valid C strings followed by NULL, all
    // alive until the call returns.
    unsafe { chlast::ffi::chlastOptMain(args.len() as i32, argv.as_mut_ptr(), version.as_ptr()) }
}
