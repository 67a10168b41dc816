//! Capturing MLIR diagnostics as `file:line:col: error: message` lines
//! instead of letting MLIR print them.

use melior::{
    Context,
    diagnostic::{Diagnostic, DiagnosticSeverity},
    ir::Location,
};
use std::{cell::RefCell, rc::Rc};

/// Runs `body` with a diagnostic handler attached to `context` and returns
/// its result with every diagnostic emitted meanwhile, formatted, in order.
pub fn capture<T>(context: &Context, body: impl FnOnce() -> T) -> (T, Vec<String>) {
    let collected = Rc::new(RefCell::new(Vec::new()));
    let sink = collected.clone();
    let id = context.attach_diagnostic_handler(move |diagnostic| {
        sink.borrow_mut().push(format_diagnostic(&diagnostic));
        true
    });
    let result = body();
    context.detach_diagnostic_handler(id);
    let messages = collected.borrow().clone();
    (result, messages)
}

/// `file:line:col: severity: message`, followed by its notes on their own
/// lines.
pub fn format_diagnostic(diagnostic: &Diagnostic) -> String {
    let mut text = format!(
        "{}{}: {}",
        location_prefix(diagnostic.location()),
        severity_name(diagnostic.severity()),
        diagnostic
    );
    for index in 0..diagnostic.note_count() {
        if let Ok(note) = diagnostic.note(index) {
            text.push('\n');
            text.push_str(&format!(
                "{}note: {}",
                location_prefix(note.location()),
                note
            ));
        }
    }
    text
}

fn severity_name(severity: DiagnosticSeverity) -> &'static str {
    match severity {
        DiagnosticSeverity::Error => "error",
        DiagnosticSeverity::Warning => "warning",
        DiagnosticSeverity::Note => "note",
        DiagnosticSeverity::Remark => "remark",
    }
}

/// `file:line:col: ` of the first file location inside `location` (through
/// name, call-site and fused locations), or nothing when there is none.
fn location_prefix(location: Location) -> String {
    match file_line_col(location) {
        Some((file, line, column)) => format!("{file}:{line}:{column}: "),
        None => String::new(),
    }
}

fn file_line_col(location: Location) -> Option<(String, usize, usize)> {
    if location.is_file_line_col_range() {
        Some((
            location
                .file_line_col_range_filename()
                .as_string_ref()
                .as_str()
                .ok()?
                .to_string(),
            location.file_line_col_range_start_line(),
            location.file_line_col_range_start_column(),
        ))
    } else if location.is_name() {
        file_line_col(location.name_child_location())
    } else if location.is_call_site() {
        file_line_col(location.call_site_callee())
    } else if location.is_fused() {
        (0..location.fused_num_locations()).find_map(|i| file_line_col(location.fused_location(i)))
    } else {
        None
    }
}
