//! `neurofed scores instrument add|ls`, `scores import`, `scores export`: clinical scores.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use node::{
    is_xlsx, parse_table, read_xlsx, write_atomic, write_csv, write_xlsx, Home, Instrument, Node,
    Table, VariableKind,
};
use serde_json::json;

use crate::out::json as print_json;
use crate::outln;

/// Largest score table read (a table of scores is small; a bigger file is not one).
const MAX_TABLE_BYTES: u64 = 64 << 20;

/// `neurofed scores ...`
#[derive(Debug, clap::Subcommand)]
pub enum ScoresCmd {
    /// Define instruments (scales, tests) with their variables, types and ranges.
    #[command(subcommand)]
    Instrument(InstrumentCmd),
    /// Record scores from a CSV table (comma, semicolon or tab separated): a subject column
    /// (`participant_id`, `subject` or `pseudonym`), an optional `session`/`examination` column
    /// (`ses-YYYYMMDD`, the shifted date, or an `ex_` id) and one column per variable. All rows
    /// or none: every bad row is reported with its line.
    Import {
        /// The table.
        file: PathBuf,
        /// The study.
        #[arg(long)]
        study: String,
        /// The instrument's acronym.
        #[arg(long)]
        instrument: String,
        /// Show what would change, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Machine-readable output: `{"added","changed","unchanged","dry_run"}`.
        #[arg(long)]
        json: bool,
    },
    /// Write a study's scores of one instrument as CSV or XLSX (one row per assessment).
    Export {
        /// The study.
        #[arg(long)]
        study: String,
        /// The instrument's acronym.
        #[arg(long)]
        instrument: String,
        /// Output file (default: standard output, CSV only).
        #[arg(long)]
        out: Option<PathBuf>,
        /// `csv` or `xlsx` (default: from the output file's extension, else csv).
        #[arg(long, value_parser = ["csv", "xlsx"])]
        format: Option<String>,
    },
}

/// `neurofed scores instrument ...`
#[derive(Debug, clap::Subcommand)]
pub enum InstrumentCmd {
    /// Add an instrument from its TOML definition (or a new version of it).
    Add {
        /// The definition.
        file: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// List the instruments with their variables.
    Ls {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// A small text file (an instrument's TOML), read whole.
fn read_small(file: &Path) -> anyhow::Result<String> {
    let bytes = read_bounded(file)?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{}: not UTF-8 text", file.display()))
}

/// A file of at most [`MAX_TABLE_BYTES`].
fn read_bounded(file: &Path) -> anyhow::Result<Vec<u8>> {
    let meta = std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?;
    if meta.len() > MAX_TABLE_BYTES {
        bail!(
            "{}: {} bytes is more than a score table ({} MiB at most)",
            file.display(),
            meta.len(),
            MAX_TABLE_BYTES >> 20
        );
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}

/// A score table from `file`: an XLSX workbook's first sheet, or CSV text (UTF-8).
fn read_table(file: &Path) -> anyhow::Result<Table> {
    let bytes = read_bounded(file)?;
    if is_xlsx(&bytes) {
        return read_xlsx(&bytes).map_err(|e| anyhow!("{}: {e}", file.display()));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        anyhow!(
            "{}: not UTF-8 text: save it as CSV UTF-8 (or XLSX) from the spreadsheet",
            file.display()
        )
    })?;
    parse_table(&text).map_err(|e| anyhow!("{}: {e}", file.display()))
}

fn kind_text(k: &VariableKind) -> String {
    let bound = |a: Option<String>, b: Option<String>| match (a, b) {
        (Some(a), Some(b)) => format!(" {a}..{b}"),
        (Some(a), None) => format!(" >= {a}"),
        (None, Some(b)) => format!(" <= {b}"),
        (None, None) => String::new(),
    };
    match k {
        VariableKind::Number { min, max, step } => format!(
            "number{}{}",
            bound(min.map(|x| x.to_string()), max.map(|x| x.to_string())),
            step.map(|s| format!(" by {s}")).unwrap_or_default()
        ),
        VariableKind::Integer { min, max } => format!(
            "integer{}",
            bound(min.map(|x| x.to_string()), max.map(|x| x.to_string()))
        ),
        VariableKind::Choice { values } => format!("one of {}", values.join("|")),
    }
}

pub fn run(home: &Home, cmd: ScoresCmd) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    match cmd {
        ScoresCmd::Instrument(InstrumentCmd::Add { file, json }) => {
            let text = read_small(&file)?;
            let instrument =
                Instrument::from_toml(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let changed = node.set_instrument(&instrument, "cli")?;
            if json {
                print_json(&json!({"instrument": instrument.acronym, "changed": changed}))?;
            } else if changed {
                outln!(
                    "Instrument {} ({}) recorded with {} variables.",
                    instrument.acronym,
                    instrument.name,
                    instrument.variables.len()
                )?;
            } else {
                outln!(
                    "Instrument {} is already recorded as defined.",
                    instrument.acronym
                )?;
            }
        }
        ScoresCmd::Instrument(InstrumentCmd::Ls { json }) => {
            let all = node.catalog.instruments()?;
            if json {
                print_json(&all)?;
            } else if all.is_empty() {
                outln!(
                    "No instrument yet: `neurofed scores instrument add FILE.toml` defines one."
                )?;
            } else {
                for i in &all {
                    outln!("{}  {}", i.acronym, i.name)?;
                    for v in &i.variables {
                        let unit = v
                            .unit
                            .as_deref()
                            .map(|u| format!(" ({u})"))
                            .unwrap_or_default();
                        outln!("    {}{unit}: {}", v.name, kind_text(&v.kind))?;
                    }
                }
            }
        }
        ScoresCmd::Import {
            file,
            study,
            instrument,
            dry_run,
            json,
        } => {
            let study = node.catalog.require_study(&study)?;
            let instrument = node.catalog.require_instrument(&instrument)?;
            let table = read_table(&file)?;
            let rows = node
                .catalog
                .rows_to_assessments(study.id, &instrument, &table)?
                .map_err(|e| {
                    anyhow!(
                        "{}: nothing recorded, {} problem(s):\n  {}",
                        file.display(),
                        e.problems.len(),
                        e.problems.join("\n  ")
                    )
                })?;
            let report = node.record_assessments(study.id, &instrument, &rows, "cli", dry_run)?;
            if json {
                print_json(&report)?;
            } else {
                outln!(
                    "{}{} {} assessments in study {:?}: {} added, {} changed, {} unchanged.",
                    if dry_run {
                        "Dry run, nothing written: "
                    } else {
                        ""
                    },
                    instrument.acronym,
                    rows.len(),
                    study.name,
                    report.added,
                    report.changed,
                    report.unchanged
                )?;
            }
        }
        ScoresCmd::Export {
            study,
            instrument,
            out,
            format,
        } => {
            let study = node.catalog.require_study(&study)?;
            let instrument = node.catalog.require_instrument(&instrument)?;
            let (header, rows) = node.catalog.assessments_table(study.id, &instrument)?;
            let xlsx = match format.as_deref() {
                Some(f) => f == "xlsx",
                None => out
                    .as_ref()
                    .and_then(|p| p.extension())
                    .is_some_and(|e| e.eq_ignore_ascii_case("xlsx")),
            };
            if xlsx {
                let Some(path) = out else {
                    bail!("an XLSX export needs --out FILE.xlsx");
                };
                // Numbers as numbers, choices and ids as text.
                let numeric: Vec<bool> = header
                    .iter()
                    .map(|h| {
                        instrument.variables.iter().any(|v| {
                            v.name.eq_ignore_ascii_case(h)
                                && !matches!(v.kind, VariableKind::Choice { .. })
                        })
                    })
                    .collect();
                let bytes = write_xlsx(&instrument.acronym, &header, &rows, &numeric)?;
                write_atomic(&path, &bytes)
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("{} rows written to {}", rows.len(), path.display());
                return Ok(ExitCode::SUCCESS);
            }
            let csv = write_csv(&header, &rows);
            match out {
                Some(path) => {
                    write_atomic(&path, csv.as_bytes())
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("{} rows written to {}", rows.len(), path.display());
                }
                None => {
                    use std::io::Write as _;
                    std::io::stdout().lock().write_all(csv.as_bytes())?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
