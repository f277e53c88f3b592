//! Clinical scores: instruments defined as data and the assessments recorded with them.
//!
//! An [`Instrument`] (EDSS, MMSE, a study's own scale) is a name, an acronym and typed
//! [`Variable`]s (a number or an integer with its range and step, or a choice among listed
//! values), written as TOML by a study manager; no code changes to add one. An [`Assessment`] is
//! one instrument's values for one subject, at one examination or at the subject level, checked
//! against the instrument when it is recorded ([`Instrument::check`]): a value out of range is
//! refused with the variable and the range.
//!
//! No free text and no dates are accepted as values: both carry identifiers in practice (a
//! clinician's note, an unshifted visit date). An assessment is dated by its examination, whose
//! date is already shifted per subject.
//!
//! - [`instrument`]: definitions, parsing from TOML, value checks.
//! - [`table`]: delimited text (CSV, semicolon or tab separated) into rows, and rows back out.
//! - [`xlsx`]: the first sheet of an XLSX workbook as a table, and a table as a workbook.

mod instrument;
mod table;
mod xlsx;

pub use instrument::{Assessment, Instrument, ScoreError, ScoreValue, Variable, VariableKind};
pub use table::{parse_table, write_csv, Table, TableError};
pub use xlsx::{is_xlsx, read_xlsx, write_xlsx};
