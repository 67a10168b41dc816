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
    /// `(conv location, reason)`
    pub convs_skipped: Vec<(String, String)>,
    /// Every runtime `chlast.to_layout` inserted, with why it is there.
    pub runtime_conversions: Vec<RuntimeConversion>,
    pub constant_conversions_folded: usize,
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
struct SkippedConv<'s> {
    conv: &'s str,
    reason: &'s str,
}

/// The JSON form of [`FunctionStats`] (field order is the output's).
#[derive(Serialize)]
struct Json<'s> {
    function: &'s str,
    convs_found: usize,
    convs_converted: usize,
    convs_skipped: Vec<SkippedConv<'s>>,
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
                .map(|(conv, reason)| SkippedConv { conv, reason })
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
pub(super) fn report_skipped_conv(conv: OperationRef, reason: &str, stats: &mut FunctionStats) {
    ir::emit_remark(
        conv,
        &format!(
            "conv-channels-last: {} left in its original layout: {reason}",
            ir::op_name(conv)
        ),
    );
    stats
        .convs_skipped
        .push((ir::location_string(conv), reason.to_string()));
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
            convs_skipped: vec![("loc(\"a\":1:2)".into(), "why\nnot".into())],
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
                r#""convs_skipped":[{"conv":"loc(\"a\":1:2)","reason":"why\nnot"}],"#,
                r#""runtime_conversions":[{"type":"tensor<2xf32>","bytes":8,"site":"interior","op":"tensor.pad","loc":"loc(unknown)","reason":"r"}],"#,
                r#""runtime_conversion_count":1,"runtime_conversion_bytes":8,"constant_conversions_folded":3}"#
            )
        );
    }
}
