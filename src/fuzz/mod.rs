//! A differential fuzzer for `conv-channels-last`: seeded random conv
//! networks ([`graph`]), an oracle that checks the pass on each
//! ([`check`]), and a shrinker that cuts a failing network down to a
//! small reproducer ([`shrink`]). `chlast-fuzz` runs batches and
//! `scripts/fuzz.sh` campaigns.
//!
//! ```no_run
//! use chlast::fuzz;
//! let graph = fuzz::graph::generate(7);
//! let options = fuzz::options_for(7);
//! match fuzz::check::check(&graph.to_mlir(), &options, 7) {
//!     Ok(passed) => println!("{} conversions", passed.conversions),
//!     Err(failure) => println!("{failure}"),
//! }
//! ```

pub mod check;
pub mod graph;
pub mod shrink;

use crate::passes::{ConvChannelsLastOptions, Strategy};

/// The pass options a seed is checked with: the default, no cost model
/// (every conv converted), per-conv placement, or no size gate, in turn.
pub fn options_for(seed: u64) -> ConvChannelsLastOptions {
    let default = ConvChannelsLastOptions::default();
    match seed % 4 {
        0 => default,
        1 => ConvChannelsLastOptions {
            cost_model: false,
            ..default
        },
        2 => ConvChannelsLastOptions {
            strategy: Strategy::PerConv,
            ..default
        },
        _ => ConvChannelsLastOptions {
            max_ops_per_conv: 0,
            ..default
        },
    }
}

/// Checks the graph of `seed`; on failure, shrinks it (unless `shrink` is
/// false) and returns the failure with the reproducer's MLIR text.
pub fn run_seed(seed: u64, shrink: bool) -> Result<check::Passed, (check::Failure, String)> {
    let graph = graph::generate(seed);
    let options = options_for(seed);
    let failure = match check::check(&graph.to_mlir(), &options, seed) {
        Ok(passed) => return Ok(passed),
        Err(failure) => failure,
    };
    let small = if shrink {
        shrink::shrink(
            &graph,
            |g| matches!(check::check(&g.to_mlir(), &options, seed), Err(f) if f.stage == failure.stage),
        )
    } else {
        graph
    };
    // The reproducer's own failure (its message names its values).
    let failure = check::check(&small.to_mlir(), &options, seed)
        .err()
        .unwrap_or(failure);
    let mut text = format!(
        "// chlast-fuzz reproducer: seed {seed}, options {{{}}}\n// (the full graph: chlast-fuzz --print {seed}; recheck: chlast-fuzz --check FILE --seed {seed})\n",
        options.to_pipeline_string()
    );
    for line in failure.to_string().lines() {
        text.push_str(&format!("// {line}\n"));
    }
    text.push_str(&small.to_mlir());
    Err((failure, text))
}
