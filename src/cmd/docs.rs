//! `neurofed completions SHELL` and `neurofed man`: generated from the clap definitions, so
//! they never drift from the commands.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::outln;

/// Arguments of `neurofed completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell, e.g. `bash` (`neurofed completions bash > /etc/bash_completion.d/neurofed`),
    /// `zsh` (into a folder of `$fpath` as `_neurofed`) or `fish`.
    shell: clap_complete::Shell,
}

/// Arguments of `neurofed man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write `neurofed.1` and one `neurofed-COMMAND.1` per command into this folder instead of
    /// printing the main page.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn completions(a: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = crate::Cli::command();
    // Generated into memory first: the generator panics on a failed write (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "neurofed", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn man(a: ManArgs) -> anyhow::Result<ExitCode> {
    let cmd = crate::Cli::command();
    match a.out {
        None => {
            let mut out = std::io::stdout().lock();
            clap_mangen::Man::new(cmd).render(&mut out)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("writing pages into {}", dir.display()))?;
            outln!("manual pages written to {}", dir.display())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
