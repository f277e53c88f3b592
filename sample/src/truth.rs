//! `truth.tsv`: one row per series with the same columns, in the same order and with the same
//! meaning as `make_series.py` writes, so that tests and the demo read either corpus.

/// The columns of `truth.tsv`.
pub const TRUTH_COLUMNS: [&str; 18] = [
    "subject",
    "session",
    "series",
    "dir",
    "instances",
    "dims_c_r_s_t",
    "pixel_source",
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "PatientAge",
    "InstitutionName",
    "ReferringPhysicianName",
    "AccessionNumber",
    "StudyDate",
    "StudyInstanceUID",
    "SeriesInstanceUID",
];

/// What the `pixel_source` column says.
pub(crate) const PIXEL_SOURCE: &str = "procedural head phantom (neurofed-sample)";

/// The rows gathered while writing (a few hundred bytes per series).
#[derive(Debug, Default)]
pub(crate) struct Truth {
    rows: Vec<[String; 18]>,
}

impl Truth {
    /// Add a row, its values in [`TRUTH_COLUMNS`] order.
    pub(crate) fn push(&mut self, row: [String; 18]) {
        self.rows.push(row);
    }

    /// Rows so far.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// The file's text (UTF-8, tab-separated, a header line).
    pub(crate) fn text(&self) -> String {
        let mut out = TRUTH_COLUMNS.join("\t");
        out.push('\n');
        for r in &self.rows {
            // No value holds a tab or a newline; make sure of it.
            let cells: Vec<String> = r.iter().map(|c| c.replace(['\t', '\n'], " ")).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
        out
    }
}
