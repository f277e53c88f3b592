//! `neurofed deid explain FILE`: what de-identification does with every attribute of a file, and
//! which rule decides (Table E.1-1, the keep-list, removal). Tags, keywords, VRs and actions
//! only: never a value, so the output holds no PHI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use node::{Home, Node};

use crate::out::json as print_json;
use crate::outln;

/// `neurofed deid ...`
#[derive(Debug, clap::Subcommand)]
pub enum DeidCmd {
    /// Show, per attribute at every depth, what de-identification would do and why (no values).
    Explain {
        /// A DICOM file.
        file: PathBuf,
        /// The profile: `default`, `basic`, a profile of the node, or a TOML file.
        #[arg(long, default_value = "default")]
        profile: String,
        /// Machine-readable output: one `{"path", "keyword", "vr", "action", "why"}` per attribute.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(home: &Home, cmd: DeidCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        DeidCmd::Explain {
            file,
            profile,
            json,
        } => {
            let profile = resolve(home, &profile)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let inst = dicom::read(&bytes).with_context(|| format!("{}", file.display()))?;
            // Explaining derives nothing from the keys: no pseudonym, UID or offset is shown.
            let keys = dicom::DeidKeys {
                linkage: [0; 32],
                node: [0; 32],
            };
            let explained =
                dicom::Deidentifier::new(profile, &keys, "explain").explain(&inst.obj)?;
            if json {
                print_json(&explained)?;
            } else {
                for e in &explained {
                    outln!(
                        "{:<40} {:<40} {:<2} {:<9} {}",
                        e.path,
                        crate::out::cut(&e.keyword, 40),
                        e.vr,
                        e.action,
                        e.why
                    )?;
                }
                let removed = explained.iter().filter(|e| e.action == "removed").count();
                outln!("{} attributes, {removed} removed.", explained.len())?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn resolve(home: &Home, name: &str) -> anyhow::Result<dicom::Profile> {
    if let Some(p) = dicom::Profile::builtin(name) {
        return Ok(p);
    }
    let path = PathBuf::from(name);
    if path.is_file() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(dicom::Profile::from_toml_str(&text)?);
    }
    Ok(Node::open(home)?.profile(name)?)
}
