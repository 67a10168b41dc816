//! What `conv-channels-last` reports: per-function statistics (the `stats=`
//! option writes them as one JSON object per line) and the remarks at the
//! convs it leaves alone.

use crate::{
    ir::{self, OperationRef},
    passes::ConvChannelsLastOptions,
};
use serde::Serialize;

/// Statistics of one function, printed as one JSON object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionStats {
    pub function: String,
    pub convs_found: usize,
    pub convs_converted: usize,
    pub convs_skipped: Vec<SkippedConv>,
    /// Every runtime `chlast.to_layout` inserted, with why it is there.
    pub runtime_conversions: Vec<RuntimeConversion>,
    pub constant_conversions_folded: usize,
}

/// Why a conv is left in its original layout. [`SkipReason::code`] is a
/// stable identifier (the `code` of a `convs_skipped` entry in the JSON);
/// the message (`Display`) explains it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Operands are memrefs: the pass works on tensors, before bufferization.
    Memref,
    /// Some operand has a dynamic shape.
    DynamicShape,
    /// Some operand has no elements.
    ZeroSize,
    /// A stride or dilation (the attribute named) outside 1..2^31.
    MalformedWindow(&'static str),
    /// Not one image, one filter and one result.
    UnsupportedForm,
    /// Operands already carry layout encodings.
    AlreadyEncoded,
    /// Upstream's convolution dims or the spatial/channel roles of the
    /// indexing maps could not be found.
    UnrecognisedDims,
    /// Image and result are channels-last already.
    AlreadyChannelsLast,
    /// A filter indexing map is not a permutation.
    UnsupportedFilterMap,
    /// The indexing maps disagree with the operand shapes.
    InconsistentMaps,
    /// Inside the region of the op named (a loop, a conditional).
    Nested(String),
    /// The function body has several blocks.
    MultiBlock,
    /// The function is dense in non-conv ops (`max-ops-per-conv`).
    TooManyOpsPerConv { ops: usize, convs: usize, max: u32 },
    /// The cost model found converting it moves more bytes than it saves.
    CostModel,
}

impl SkipReason {
    /// The stable identifier of the reason.
    pub fn code(&self) -> &'static str {
        match self {
            SkipReason::Memref => "memref",
            SkipReason::DynamicShape => "dynamic-shape",
            SkipReason::ZeroSize => "zero-size",
            SkipReason::MalformedWindow(_) => "malformed-window",
            SkipReason::UnsupportedForm => "unsupported-form",
            SkipReason::AlreadyEncoded => "already-encoded",
            SkipReason::UnrecognisedDims => "unrecognised-dims",
            SkipReason::AlreadyChannelsLast => "already-channels-last",
            SkipReason::UnsupportedFilterMap => "unsupported-filter-map",
            SkipReason::InconsistentMaps => "inconsistent-maps",
            SkipReason::Nested(_) => "nested",
            SkipReason::MultiBlock => "multi-block",
            SkipReason::TooManyOpsPerConv { .. } => "max-ops-per-conv",
            SkipReason::CostModel => "cost-model",
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            SkipReason::Memref => {
                f.write_str("operands are memrefs (the pass works on tensors, before bufferization)")
            }
            SkipReason::DynamicShape => {
                f.write_str("dynamic shapes (channels-last conversion needs static shapes)")
            }
            SkipReason::ZeroSize => f.write_str("zero-size tensors (no data to lay out)"),
            SkipReason::MalformedWindow(name) => {
                write!(f, "{name} outside 1..2^31 (the conv is malformed)")
            }
            SkipReason::UnsupportedForm => {
                f.write_str("a conv form with other than one image, one filter and one result")
            }
            SkipReason::AlreadyEncoded => f.write_str("operands already carry layout encodings"),
            SkipReason::UnrecognisedDims => {
                f.write_str("no spatial or channel dims recognised in its indexing maps")
            }
            SkipReason::AlreadyChannelsLast => f.write_str("already channels-last"),
            SkipReason::UnsupportedFilterMap => {
                f.write_str("a filter indexing map that is not a permutation")
            }
            SkipReason::InconsistentMaps => f.write_str("inconsistent indexing maps"),
            SkipReason::Nested(parent) => write!(
                f,
                "inside '{parent}' (layouts are assigned to the ops at the top level of a function)"
            ),
            SkipReason::MultiBlock => f.write_str(
                "the function body has several blocks (the pass handles single-block functions)",
            ),
            SkipReason::TooManyOpsPerConv { ops, convs, max } => write!(
                f,
                "function has {ops} ops for {convs} convs, at least max-ops-per-conv={max} per conv"
            ),
            SkipReason::CostModel => f.write_str(
                "converting it would move more bytes in layout conversions at its boundaries than it saves",
            ),
        }
    }
}

/// A conv left in its original layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedConv {
    /// The conv's location as MLIR prints it.
    pub loc: String,
    pub reason: SkipReason,
}

/// Where a runtime conversion sits in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversionSite {
    /// A function argument converted on entry.
    Input,
    /// A value converted back before `func.return`.
    Output,
    /// Between two ops of the function.
    Interior,
}

/// One runtime `chlast.to_layout` and the op that forced it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuntimeConversion {
    /// The converted type (with its target encoding).
    #[serde(rename = "type")]
    pub ty: String,
    pub bytes: u64,
    pub site: ConversionSite,
    /// The op whose layout differs from the value's (its name).
    pub op: String,
    /// That op's location.
    pub loc: String,
    /// Why that op keeps the other layout.
    pub reason: String,
}

/// A conv left in its original layout, as the JSON lists it.
#[derive(Serialize)]
struct SkippedJson<'s> {
    conv: &'s str,
    code: &'static str,
    reason: String,
}

/// The JSON form of [`FunctionStats`] (field order is the output's).
#[derive(Serialize)]
struct Json<'s> {
    function: &'s str,
    convs_found: usize,
    convs_converted: usize,
    convs_skipped: Vec<SkippedJson<'s>>,
    runtime_conversions: &'s [RuntimeConversion],
    runtime_conversion_count: usize,
    runtime_conversion_bytes: u64,
    constant_conversions_folded: usize,
}

impl FunctionStats {
    /// Bytes moved by all runtime conversions (each read once, written once
    /// counts as its size).
    pub fn runtime_conversion_bytes(&self) -> u64 {
        self.runtime_conversions.iter().map(|c| c.bytes).sum()
    }

    /// The statistics as a single-line JSON object.
    pub fn to_json(&self) -> String {
        let json = Json {
            function: &self.function,
            convs_found: self.convs_found,
            convs_converted: self.convs_converted,
            convs_skipped: self
                .convs_skipped
                .iter()
                .map(|skipped| SkippedJson {
                    conv: &skipped.loc,
                    code: skipped.reason.code(),
                    reason: skipped.reason.to_string(),
                })
                .collect(),
            runtime_conversions: &self.runtime_conversions,
            runtime_conversion_count: self.runtime_conversions.len(),
            runtime_conversion_bytes: self.runtime_conversion_bytes(),
            constant_conversions_folded: self.constant_conversions_folded,
        };
        serde_json::to_string(&json).expect("strings and numbers serialize")
    }
}

/// Writes `stats` where the `stats` option says (nowhere, `-` for stderr,
/// or a file).
pub(super) fn write_stats(
    options: &ConvChannelsLastOptions,
    stats: &[FunctionStats],
) -> Result<(), String> {
    let Some(file) = &options.stats_file else {
        return Ok(());
    };
    let text: String = stats.iter().map(|s| s.to_json() + "\n").collect();
    if file == "-" {
        eprint!("{text}");
        Ok(())
    } else {
        std::fs::write(file, text)
            .map_err(|e| format!("conv-channels-last: cannot write statistics to '{file}': {e}"))
    }
}

/// Reports `conv` as left in its original layout: a remark at the op and an
/// entry in the statistics.
pub(super) fn report_skipped_conv(
    conv: OperationRef,
    reason: SkipReason,
    stats: &mut FunctionStats,
) {
    ir::emit_remark(
        conv,
        &format!(
            "conv-channels-last: {} left in its original layout: {reason}",
            ir::op_name(conv)
        ),
    );
    stats.convs_skipped.push(SkippedConv {
        loc: ir::location_string(conv),
        reason,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON keeps its field order and escapes what JSON must.
    #[test]
    fn json_has_the_documented_fields_in_order() {
        let stats = FunctionStats {
            function: "f".into(),
            convs_found: 2,
            convs_converted: 1,
            convs_skipped: vec![SkippedConv {
                loc: "loc(\"a\":1:2)".into(),
                reason: SkipReason::Nested("scf.for\n".into()),
            }],
            runtime_conversions: vec![RuntimeConversion {
                ty: "tensor<2xf32>".into(),
                bytes: 8,
                site: ConversionSite::Interior,
                op: "tensor.pad".into(),
                loc: "loc(unknown)".into(),
                reason: "r".into(),
            }],
            constant_conversions_folded: 3,
        };
        assert_eq!(
            stats.to_json(),
            concat!(
                r#"{"function":"f","convs_found":2,"convs_converted":1,"#,
                r#""convs_skipped":[{"conv":"loc(\"a\":1:2)","code":"nested","reason":"inside 'scf.for\n' (layouts are assigned to the ops at the top level of a function)"}],"#,
                r#""runtime_conversions":[{"type":"tensor<2xf32>","bytes":8,"site":"interior","op":"tensor.pad","loc":"loc(unknown)","reason":"r"}],"#,
                r#""runtime_conversion_count":1,"runtime_conversion_bytes":8,"constant_conversions_folded":3}"#
            )
        );
    }
}
