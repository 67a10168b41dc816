//! Embedding chlast in a melior-based toolchain: register the dialects, add
//! `conv-channels-last` to a `PassManager` with typed options, run it.
//!
//! `cargo run --example embed` prints the rewritten module. The integration
//! tests build and run this same code.

use chlast::passes::{ConvChannelsLastOptions, conv_channels_last};
use melior::{Context, dialect::DialectRegistry, ir::Module, pass::PassManager};

/// A conv with a causal (time-low-only) pad and a constant filter.
pub const INPUT: &str = r#"
func.func @conv(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<8x4x3x3xf32>
  %p = tensor.pad %x low[0, 0, 2, 1] high[0, 0, 0, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%p, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}
"#;

/// Runs `conv-channels-last` on [`INPUT`] and returns the printed module.
pub fn run() -> Result<String, Box<dyn std::error::Error>> {
    let registry = DialectRegistry::new();
    chlast::dialect::register_upstream_and_chlast(&registry);
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();

    let mut module = Module::parse(&context, INPUT).ok_or("the example input does not parse")?;
    let pass_manager = PassManager::new(&context);
    let options = ConvChannelsLastOptions {
        max_ops_per_conv: 0,
        ..Default::default()
    };
    pass_manager.add_pass(conv_channels_last(&options)?);
    pass_manager.run(&mut module)?;
    Ok(module.as_operation().to_string())
}

#[allow(dead_code)]
fn main() {
    match run() {
        Ok(text) => print!("{text}"),
        Err(error) => {
            eprintln!("embed: {error}");
            std::process::exit(1);
        }
    }
}
