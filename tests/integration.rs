//! The one integration-test binary (MLIR links statically, so every test
//! binary is large): the lit suite over `test/`, and the embedding example.

#[path = "../examples/embed.rs"]
mod embed;

use std::{path::PathBuf, process::Command};

fn lit_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("LIT") {
        return Some(PathBuf::from(path));
    }
    ["/usr/lib/llvm-22/bin/lit", "/usr/bin/lit"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
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
    assert!(
        text.contains("tensor<8x4x3x3xf32, #chlast.layout<nhwc>>"),
        "{text}"
    );
    assert!(text.contains("low[0, 0, 2, 1] high[0, 0, 0, 1]"), "{text}");
}

/// Typed options reach the Rust pass body: statistics go to the requested
/// file, even one whose name needs quoting in MLIR's option syntax.
#[test]
fn typed_options_reach_the_pass() {
    use melior::{Context, dialect::DialectRegistry, ir::Module, pass::PassManager};
    let registry = DialectRegistry::new();
    chlast::dialect::register_upstream_and_chlast(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    let dir = std::env::temp_dir().join(format!("chlast stats {}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("per function.json");
    let options = chlast::passes::ConvChannelsLastOptions {
        max_ops_per_conv: 0,
        stats_file: Some(path.display().to_string()),
        ..Default::default()
    };
    let mut module = Module::parse(&context, embed::INPUT).unwrap();
    let pm = PassManager::new(&context);
    pm.add_pass(chlast::passes::conv_channels_last(&options).expect("valid options"));
    pm.run(&mut module).expect("the pass succeeds");
    let stats = std::fs::read_to_string(&path).expect("statistics written");
    assert!(stats.contains("\"function\":\"conv\""), "{stats}");
    assert!(stats.contains("\"runtime_conversion_count\":2"), "{stats}");
    assert!(
        stats.contains("\"constant_conversions_folded\":1"),
        "{stats}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
