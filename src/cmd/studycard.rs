//! `neurofed studycard add|ls|apply`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use node::load_card;
use node::{Home, Node};
use serde_json::json;

use crate::out::json as print_json;
use crate::outln;

/// `neurofed studycard ...`
#[derive(Debug, clap::Subcommand)]
pub enum StudycardCmd {
    /// Add a card (TOML) to a study; a card with an existing name becomes its next version.
    Add {
        /// The card file.
        file: PathBuf,
        /// The study (default: the card's `study` key). It must exist unless `--create` is
        /// given (or you answer yes when asked on a terminal).
        #[arg(long)]
        study: Option<String>,
        /// Create the study if it does not exist.
        #[arg(long)]
        create: bool,
        /// Machine-readable output: `{"card", "version", "study", "study_id", "study_created"}`.
        #[arg(long)]
        json: bool,
    },
    /// List the cards of a study (all versions with --all).
    Ls {
        /// The study (default: every study).
        #[arg(long)]
        study: Option<String>,
        /// Every version, not only the ones in force.
        #[arg(long)]
        all: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Re-apply a study's cards to its existing data (values at import are kept as original).
    Apply {
        /// The study.
        #[arg(long)]
        study: String,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(home: &Home, cmd: StudycardCmd) -> anyhow::Result<ExitCode> {
    let node = Node::open(home)?;
    match cmd {
        StudycardCmd::Add {
            file,
            study,
            create,
            json: as_json,
        } => {
            let card = load_card(&file)?;
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let name = study.or_else(|| card.study.clone()).ok_or_else(|| {
                anyhow!(
                    "{}: the card names no study: add `study = \"...\"` or pass --study",
                    file.display()
                )
            })?;
            super::study::ensure_exists(&node, &name, create)?;
            let (study, created) = node.catalog.ensure_study(&name, None)?;
            let v = node.catalog.add_card(study.id, card, &source)?;
            if as_json {
                print_json(&json!({
                    "card": v.card.name, "version": v.version, "study": study.name,
                    "study_id": study.id, "study_created": created,
                }))?;
            } else {
                outln!(
                    "Card {:?} version {} added to study {:?}{}. Re-apply it to existing data with `neurofed studycard apply --study {:?}`.",
                    v.card.name,
                    v.version,
                    study.name,
                    if created { " (study created)" } else { "" },
                    study.name
                )?;
            }
        }
        StudycardCmd::Ls { study, all, json } => {
            let studies = match study {
                Some(n) => vec![node.catalog.require_study(&n)?],
                None => node.catalog.studies()?,
            };
            let mut rows = Vec::new();
            for s in &studies {
                let cards: Vec<(u32, dicom::StudyCard, Option<u64>)> = if all {
                    node.catalog
                        .card_history(s.id)?
                        .into_iter()
                        .map(|c| (c.card.version, c.card.card, Some(c.added_at)))
                        .collect()
                } else {
                    node.catalog
                        .cards(s.id)?
                        .into_iter()
                        .map(|c| (c.version, c.card, None))
                        .collect()
                };
                for (version, card, added) in cards {
                    rows.push(json!({
                        "study": s.name, "card": card.name, "version": version,
                        "rules": card.rules.len(), "quality_rules": card.quality.len(),
                        "center": card.center, "added_at": added,
                    }));
                }
            }
            if json {
                print_json(&rows)?;
            } else {
                outln!(
                    "{:<20} {:<24} {:>7} {:>6} {:>8}",
                    "STUDY",
                    "CARD",
                    "VERSION",
                    "RULES",
                    "QUALITY"
                )?;
                for r in &rows {
                    outln!(
                        "{:<20} {:<24} {:>7} {:>6} {:>8}",
                        r["study"].as_str().unwrap_or(""),
                        r["card"].as_str().unwrap_or(""),
                        r["version"],
                        r["rules"],
                        r["quality_rules"]
                    )?;
                }
            }
        }
        StudycardCmd::Apply { study, json } => {
            let s = node.catalog.require_study(&study)?;
            let report = node::apply_cards(&node, &s)?;
            if json {
                let acqs: Vec<_> = report
                    .acquisitions
                    .iter()
                    .map(|a| {
                        json!({
                            "acquisition": a.acquisition.to_string(),
                            "examination": a.examination.to_string(),
                            "series_description": a.series_description,
                            "grade": a.grade.map(|g| g.to_string()),
                            "changes": a.changes.iter().map(|c| json!({
                                "field": c.field, "before": c.before, "after": c.after
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                let conf: serde_json::Map<String, serde_json::Value> = report
                    .conformity
                    .iter()
                    .map(|(x, c)| (x.to_string(), json!(c)))
                    .collect();
                print_json(&json!({"acquisitions": acqs, "conformity": conf}))?;
            } else {
                let changed = report
                    .acquisitions
                    .iter()
                    .filter(|a| !a.changes.is_empty())
                    .count();
                outln!(
                    "Re-applied the cards of {study:?} to {} acquisitions; {changed} changed.",
                    report.acquisitions.len()
                )?;
                for a in report.acquisitions.iter().filter(|a| !a.changes.is_empty()) {
                    let desc = a.series_description.as_deref().unwrap_or("-");
                    for c in &a.changes {
                        outln!(
                            "  {desc}: {} {} -> {}",
                            c.field,
                            c.before.as_deref().unwrap_or("(unset)"),
                            c.after.as_deref().unwrap_or("(unset)")
                        )?;
                    }
                }
                for (x, c) in &report.conformity {
                    match c {
                        Some(v) => outln!(
                            "  examination {x}: {:.0}% of graded acquisitions pass",
                            v * 100.0
                        )?,
                        None => outln!("  examination {x}: not graded")?,
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
