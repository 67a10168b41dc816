//! The fuzzer's oracle: what must hold of `conv-channels-last` on any
//! program, checked in process on one MLIR text.
//!
//! For a program and a set of pass options, in order:
//! 1. the program parses and verifies (else the generator is wrong);
//! 2. the pass succeeds and its output verifies and parses again;
//! 3. the pass is idempotent: run on its own output, it prints the same;
//! 4. `chlast-materialize-layouts` accepts the output;
//! 5. on the CPU, the rewrite computes what the original computes, on
//!    seeded inputs, within the element type's tolerance scaled to the
//!    largest reference value;
//! 6. so do the CUDA lowering's convolutions of the original and of the
//!    rewrite (`cpu-cudnn`: the cuDNN calls run by the CPU reference);
//! 7. and the same calls run by oneDNN (`cpu`, the default CPU target).
//!
//! The first failing step is reported as a [`Failure`] with its [`Stage`].

use crate::passes::{self, ConvChannelsLastOptions};
use crate::runtime::{
    self, RuntimeError, compare,
    cpu::{CompileOptions, Convs, CpuProgram},
    cuda, diagnostics, lowering, onednn, random,
    tensor::{ElementType, Tensor},
};
use melior::{
    Context,
    ir::{Module, operation::OperationLike},
    pass::PassManager,
};

/// The step of [`check`] that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The program does not parse or verify: a generator bug.
    Input,
    /// The original program cannot be compiled or run on the CPU.
    OriginalRun,
    /// The pass failed.
    Pass,
    /// The pass output does not verify or parse again.
    Verify,
    /// The pass changed its own output.
    Idempotence,
    /// `chlast-materialize-layouts` rejected the output.
    Materialize,
    /// The rewrite cannot be compiled or run on the CPU.
    RewriteRun,
    /// The rewrite computes something else on the CPU.
    RewriteMismatch,
    /// A `cpu-cudnn` program cannot be compiled or run.
    CudnnRun,
    /// A `cpu-cudnn` program computes something else.
    CudnnMismatch,
    /// A program with its convolutions on oneDNN (`--target cpu`) cannot
    /// be compiled or run.
    OneDnnRun,
    /// A program on oneDNN computes something else.
    OneDnnMismatch,
}

impl Stage {
    /// A stable lower-case name (file names, reports).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Input => "input",
            Stage::OriginalRun => "original-run",
            Stage::Pass => "pass",
            Stage::Verify => "verify",
            Stage::Idempotence => "idempotence",
            Stage::Materialize => "materialize",
            Stage::RewriteRun => "rewrite-run",
            Stage::RewriteMismatch => "rewrite-mismatch",
            Stage::CudnnRun => "cudnn-run",
            Stage::CudnnMismatch => "cudnn-mismatch",
            Stage::OneDnnRun => "onednn-run",
            Stage::OneDnnMismatch => "onednn-mismatch",
        }
    }
}

/// A failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Which step failed.
    pub stage: Stage,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.stage.name(), self.message)
    }
}

/// What a passing check saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Passed {
    /// `chlast.to_layout` ops in the pass output.
    pub conversions: usize,
    /// Convolutions run as cuDNN calls by the CPU reference.
    pub cudnn_calls: usize,
    /// Convolutions run by oneDNN (f32 ones: f16 calls go to the
    /// reference).
    pub onednn_calls: usize,
}

fn fail(stage: Stage, message: impl Into<String>) -> Failure {
    Failure {
        stage,
        message: message.into(),
    }
}

/// Checks `text` under `options`, with inputs from `seed`.
pub fn check(text: &str, options: &ConvChannelsLastOptions, seed: u64) -> Result<Passed, Failure> {
    check_with(text, options, seed, &|materialized| materialized)
}

/// [`check`], with the materialized rewrite's text passed through `edit`
/// before it runs: a seam for fault injection (the oracle's own tests
/// break a correct rewrite and expect a mismatch).
pub fn check_with(
    text: &str,
    options: &ConvChannelsLastOptions,
    seed: u64,
    edit: &dyn Fn(String) -> String,
) -> Result<Passed, Failure> {
    let context = runtime::create_context();
    let parse = |stage: Stage, text: &str| {
        let (module, messages) = diagnostics::capture(&context, || Module::parse(&context, text));
        match module {
            Some(m) if m.as_operation().verify() => Ok(m),
            Some(_) => Err(fail(stage, "does not verify")),
            None => Err(fail(
                stage,
                format!("does not parse: {}", messages.join("\n")),
            )),
        }
    };
    let original = parse(Stage::Input, text)?;
    let run_pass = |module: &mut Module| -> Result<(), Failure> {
        let manager = PassManager::new(&context);
        let pass =
            passes::conv_channels_last(options).map_err(|e| fail(Stage::Pass, e.to_string()))?;
        manager.add_pass(pass);
        let (result, messages) = diagnostics::capture(&context, || manager.run(module));
        result.map_err(|_| fail(Stage::Pass, messages.join("\n")))
    };

    let mut rewritten = parse(Stage::Input, text)?;
    run_pass(&mut rewritten)?;
    if !rewritten.as_operation().verify() {
        return Err(fail(Stage::Verify, "the pass output does not verify"));
    }
    let once = rewritten.as_operation().to_string();
    let mut again = parse(Stage::Verify, &once)?;
    run_pass(&mut again)?;
    let twice = again.as_operation().to_string();
    if twice != once {
        let line = once
            .lines()
            .zip(twice.lines())
            .find(|(a, b)| a != b)
            .map(|(a, b)| format!("first difference:\n  once:  {a}\n  twice: {b}"))
            .unwrap_or_else(|| "the outputs differ in length".into());
        return Err(fail(Stage::Idempotence, line));
    }
    let conversions = once.matches("chlast.to_layout").count();

    let mut materialized = parse(Stage::Verify, &once)?;
    lowering::materialize_if_encoded(&context, &mut materialized)
        .map_err(|e| fail(Stage::Materialize, e.to_string()))?;
    if !materialized.as_operation().verify() {
        return Err(fail(
            Stage::Materialize,
            "the materialized output does not verify",
        ));
    }
    let materialized = parse(
        Stage::Materialize,
        &edit(materialized.as_operation().to_string()),
    )?;

    let original_program = program(&context, &original, Convs::Loops)
        .map_err(|e| fail(Stage::OriginalRun, e.to_string()))?;
    let inputs = random::random_inputs(seed, &original_program.signature().arguments);
    let reference = original_program
        .run(&inputs)
        .map_err(|e| fail(Stage::OriginalRun, e.to_string()))?;
    let run = |module: &Module, convs: Convs| -> Result<Vec<Tensor>, RuntimeError> {
        program(&context, module, convs)?.run(&inputs)
    };

    let outputs =
        run(&materialized, Convs::Loops).map_err(|e| fail(Stage::RewriteRun, e.to_string()))?;
    same_outputs(&reference, &outputs, false).map_err(|m| fail(Stage::RewriteMismatch, m))?;

    // The convs as calls: cuDNN's (run by the CPU reference) and the same
    // calls on oneDNN (the default CPU target: every layout the pass
    // produces, strided views into concats, groups, epilogues).
    let calls = |convs: Convs| match convs {
        Convs::OneDnn => onednn::stats().calls,
        _ => cuda::reference::calls(),
    };
    let mut made = [0; 2];
    for (i, (convs, run_stage, mismatch_stage)) in [
        (Convs::CudnnReference, Stage::CudnnRun, Stage::CudnnMismatch),
        (Convs::OneDnn, Stage::OneDnnRun, Stage::OneDnnMismatch),
    ]
    .into_iter()
    .enumerate()
    {
        let before = calls(convs);
        for (module, what) in [(&original, "original"), (&materialized, "rewrite")] {
            let outputs =
                run(module, convs).map_err(|e| fail(run_stage, format!("{what}: {e}")))?;
            same_outputs(&reference, &outputs, true)
                .map_err(|m| fail(mismatch_stage, format!("{what}: {m}")))?;
        }
        made[i] = calls(convs).saturating_sub(before);
    }
    Ok(Passed {
        conversions,
        cudnn_calls: made[0],
        onednn_calls: made[1],
    })
}

/// `module` compiled for the CPU at opt-level 0 (compiling dominates a
/// small graph's check), its convs run as `convs` says.
fn program<'c>(
    context: &'c Context,
    module: &Module<'c>,
    convs: Convs,
) -> Result<CpuProgram<'c>, RuntimeError> {
    let options = CompileOptions {
        opt_level: 0,
        convs,
        ..Default::default()
    };
    CpuProgram::from_module(context, module, "graph", &options)
}

/// Compares outputs with the element type's default tolerance, its
/// absolute part scaled up to each reference's largest value.
///
/// `accumulates_in_f32`: the outputs come from cuDNN calls, which accumulate
/// f16 convs in f32 where the original accumulates in f16; an f16 output's
/// absolute tolerance is then 1e-2 (its partial sums' rounding, ~1e-3 of
/// terms up to ~1, over dozens of terms), scaled up likewise.
fn same_outputs(
    reference: &[Tensor],
    actual: &[Tensor],
    accumulates_in_f32: bool,
) -> Result<(), String> {
    if reference.len() != actual.len() {
        return Err(format!(
            "{} results instead of {}",
            actual.len(),
            reference.len()
        ));
    }
    for (index, (r, a)) in reference.iter().zip(actual).enumerate() {
        if r.spec() != a.spec() {
            return Err(format!(
                "result {index} is {} instead of {}",
                a.spec(),
                r.spec()
            ));
        }
        // The absolute part scales with the largest value but never drops
        // below the default: an output that cancels to about zero (the
        // mean of a normalized tensor) keeps the rounding of the values it
        // was computed from.
        let element = r.data.element_type();
        let mut default = compare::Tolerance::default_for(element);
        if accumulates_in_f32 && element == ElementType::F16 {
            default.atol = 1e-2;
        }
        let scaled = compare::scaled_to(r, default);
        let tolerance = compare::Tolerance {
            atol: scaled.atol.max(default.atol),
            ..scaled
        };
        let report = compare::compare(r, a, tolerance);
        if !report.passed() {
            let worst = report
                .worst
                .map(|w| {
                    format!(
                        " (worst at {:?}: {} vs {})",
                        compare::unravel(w, &r.shape),
                        r.data.get_f64(w),
                        a.data.get_f64(w)
                    )
                })
                .unwrap_or_default();
            return Err(format!("result {index}: {report}{worst}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONV: &str = "
func.func @f(%x: tensor<1x3x6x6xf32>) -> tensor<1x4x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.5> : tensor<4x3x3x3xf32>
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
    ins(%x, %w : tensor<1x3x6x6xf32>, tensor<4x3x3x3xf32>) outs(%f : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}";

    #[test]
    fn a_correct_rewrite_passes() {
        let options = ConvChannelsLastOptions {
            cost_model: false,
            ..Default::default()
        };
        let passed = check(CONV, &options, 1).unwrap();
        // The image's and the result's; the constant filter is folded.
        assert_eq!(passed.conversions, 2);
        assert_eq!(passed.cudnn_calls, 2, "the original's and the rewrite's");
        // (Other tests run oneDNN convolutions in this process too.)
        assert!(passed.onednn_calls >= 2, "{passed:?}");
    }

    #[test]
    fn a_wrong_permutation_is_a_mismatch() {
        let options = ConvChannelsLastOptions {
            cost_model: false,
            ..Default::default()
        };
        // Materialized: the image goes NCHW -> NHWC with [0, 2, 3, 1];
        // [0, 3, 2, 1] swaps H and W (both 6: still well typed).
        let swap = |text: String| {
            assert!(text.contains("permutation = [0, 2, 3, 1]"), "{text}");
            text.replacen(
                "permutation = [0, 2, 3, 1]",
                "permutation = [0, 3, 2, 1]",
                1,
            )
        };
        let failure = check_with(CONV, &options, 1, &swap).unwrap_err();
        assert_eq!(failure.stage, Stage::RewriteMismatch, "{failure}");
    }

    #[test]
    fn invalid_input_is_reported_as_the_generators_fault() {
        let failure = check("func.func @f(", &Default::default(), 0).unwrap_err();
        assert_eq!(failure.stage, Stage::Input);
    }
}
