//! `neurofed`: the command line of a neurofed node. Wiring only: arguments are parsed here
//! (clap), every command's work is a library call, and `cmd/` prints its result as text or JSON.
//!
//! Exit codes: 0 done, 1 the work failed (the message on stderr), 2 a usage error (clap's).
//! Output goes through [`out`], so a closed pipe (`neurofed ls | head -1`) ends the process
//! quietly with 0 instead of a panic.

#![deny(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod out;
mod progress;

use cmd::*;

/// neurofed: a federated repository for multi-center neuroimaging cohorts.
#[derive(Debug, Parser)]
#[command(name = "neurofed", version, about, long_about = None)]
pub struct Cli {
    /// The node's home directory.
    #[arg(long, global = true, env = "NEUROFED_HOME", value_name = "DIR")]
    home: Option<PathBuf>,
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a node in the home directory (idempotent).
    Init(repo::InitArgs),
    /// Serve the HTTP API (`ready http=ADDR` on stdout once listening) until SIGINT/SIGTERM.
    Serve(serve::ServeArgs),
    /// Import DICOM files, folders, DICOMDIR trees or zip archives into a study.
    Import(import::ImportArgs),
    /// Show the repository's counts.
    Stats(repo::JsonArg),
    /// List datasets.
    Ls(repo::JsonArg),
    /// Search the node's datasets (text, filters, facet counts, autocomplete); `--federated`:
    /// every member of the consortium, through the running node.
    Search(search::SearchArgs),
    /// Rebuild the search index from the catalog.
    Reindex(repo::JsonArg),
    /// Export stored datasets.
    Export(repo::ExportArgs),
    /// Study cards and quality cards: add, list, re-apply.
    #[command(subcommand)]
    Studycard(studycard::StudycardCmd),
    /// Clinical scores: instruments (as data) and assessments, imported from and exported to CSV.
    #[command(subcommand)]
    Scores(scores::ScoresCmd),
    /// De-identification: `explain FILE` shows per attribute what is done and why (no values).
    #[command(subcommand)]
    Deid(deid::DeidCmd),
    /// Instances held back at import for their pixels (burned-in text): list, release, delete.
    #[command(subcommand)]
    Quarantine(quarantine::QuarantineCmd),
    /// Re-hash every blob and check every catalog reference; exit 1 on any inconsistency.
    Fsck(repo::FsckArgs),
    /// Local accounts, their API tokens and passwords.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Per-study rights: see, download, import, administer.
    #[command(subcommand)]
    Rights(rights::RightsCommand),
    /// Studies: list, show, rename, remove; data-use agreements.
    #[command(subcommand)]
    Study(study::StudyCommand),
    /// Show the audit log, newest first.
    Audit(audit::AuditArgs),
    /// This node's keys (its libp2p identity), users' and consortium keys.
    #[command(subcommand)]
    Keys(keys::KeysCmd),
    /// Consortium coordination: create, admit members, publish the roster, join, push.
    #[command(subcommand)]
    Consortium(consortium::ConsortiumCmd),
    /// Signed access grants: issue, delegate, verify, revoke, keep.
    #[command(subcommand)]
    Grant(grant::GrantCmd),
    /// A PACS configured as `[pacs.NAME]`: echo, find (C-FIND), retrieve (C-GET into a study).
    #[command(subcommand)]
    Pacs(pacs::PacsCmd),
    /// Upload DICOM (files, folders, a CD, zips) into a study of a remote node: de-identified
    /// here with the study's keys, sent by hash (an interrupted upload resumes), imported there.
    Upload(upload::UploadArgs),
    /// Fetch a dataset found by a federated search, through the running node.
    Fetch(fetch::FetchArgs),
    /// A consortium of three centers on this machine, in one command.
    Demo(fetch::DemoArgs),
    /// Write a sample MR corpus (procedural phantoms, fake PHI, DICOMDIR, truth.tsv).
    Sample(sample::SampleArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(docs::CompletionsArgs),
    /// Print the manual page (roff) on stdout, or write one page per command into a folder.
    Man(docs::ManArgs),
}

/// Whether stderr may carry colours: a terminal, and `NO_COLOR` unset or empty.
pub fn colours() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // What this process writes (a home's catalog, blobs, keys; exports) is the owner's only.
    node::owner_only_files();
    // `neurofed serve`'s access log (target `neurofed::access`) is on by default.
    let filter = match cli.verbose {
        0 => "warn,neurofed::access=info",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NEUROFED_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_ansi(colours())
        .with_writer(std::io::stderr)
        .init();
    let home = node::Home::new(cli.home.unwrap_or_else(node::Home::default_root));
    let result = match cli.command {
        Command::Init(a) => repo::init(&home, a),
        Command::Serve(a) => serve::run(&home, a),
        Command::Import(a) => import::run(&home, a),
        Command::Stats(a) => repo::stats(&home, a),
        Command::Ls(a) => repo::ls(&home, a),
        Command::Search(a) => search::search(&home, a),
        Command::Reindex(a) => repo::reindex(&home, a),
        Command::Export(a) => repo::export(&home, a),
        Command::Fsck(a) => repo::fsck(&home, a),
        Command::Deid(c) => deid::run(&home, c),
        Command::Quarantine(c) => quarantine::run(&home, c),
        Command::Studycard(c) => studycard::run(&home, c),
        Command::Scores(c) => scores::run(&home, c),
        Command::User(c) => user::run(&home, c),
        Command::Rights(c) => rights::run(&home, c),
        Command::Study(c) => study::run(&home, c),
        Command::Audit(a) => audit::run(&home, a),
        Command::Keys(c) => keys::run(&home, c),
        Command::Consortium(c) => consortium::run(&home, c),
        Command::Grant(c) => grant::run(&home, c),
        Command::Pacs(c) => pacs::run(&home, c),
        Command::Upload(a) => upload::run(&home, a),
        Command::Fetch(a) => fetch::fetch(a),
        Command::Demo(a) => fetch::demo(a),
        Command::Sample(a) => sample::run(a),
        Command::Completions(a) => docs::completions(a),
        Command::Man(a) => docs::man(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if out::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
