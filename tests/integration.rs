//! The one integration-test binary (MLIR links statically, so every test
//! binary is large): the lit suite over `test/`, and the embedding example.

#[path = "../examples/embed.rs"]
mod embed;

use std::{path::PathBuf, process::Command};

fn lit_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LIT") {
        return Some(PathBuf::from(path));
    }
    ["/usr/lib/llvm-22/bin/lit", "/usr/bin/lit"].iter().map(PathBuf::from).find(|p| p.exists())
}

/// Runs lit over `test/` against the freshly built `chlast-opt`; fails when
/// lit is missing or any lit test fails.
#[test]
fn lit_suite() {
    let lit = lit_binary().expect("lit not found: install llvm-22-tools (`make deps`) or set LIT");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let chlast_opt = PathBuf::from(env!("CARGO_BIN_EXE_chlast-opt"));
    let status = Command::new(lit)
        .arg("-sv")
        .arg(root.join("test"))
        .env("CHLAST_OPT", &chlast_opt)
        .env("CHLAST_FIXTURES", root.join("../shared/fixtures"))
        .status()
        .expect("cannot run lit");
    assert!(status.success(), "lit reported failures (see above)");
}

/// The embedding example converts its conv and folds the constant filter:
/// two runtime conversions remain (input and result), none for the weights.
#[test]
fn embedding_example_runs() {
    let text = embed::run().expect("the embedding example runs");
    assert_eq!(text.matches("chlast.to_layout").count(), 2, "{text}");
    assert!(text.contains("tensor<8x4x3x3xf32, #chlast.layout<nhwc>>"), "{text}");
    assert!(text.contains("low[0, 0, 2, 1] high[0, 0, 0, 1]"), "{text}");
}

/// Bad pass options are an error value, not a crash.
#[test]
fn bad_options_are_reported() {
    let registry = melior::dialect::DialectRegistry::new();
    chlast::dialect::register_upstream_and_chlast(&registry);
    let options = chlast::passes::ConvChannelsLastOptions {
        stats_file: Some("a}b".into()),
        ..Default::default()
    };
    // A stats path with a closing brace cannot be written in MLIR's option
    // syntax; the error names the pass.
    match chlast::passes::conv_channels_last(&options) {
        Err(chlast::Error::InvalidPassOptions { pass, .. }) => assert_eq!(pass, "conv-channels-last"),
        Ok(_) => panic!("expected an option error"),
        Err(other) => panic!("unexpected error {other}"),
    }
}
