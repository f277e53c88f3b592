//! `neurofed`: the command line of a neurofed node. Wiring only: every command's work lives in
//! the library crates; `cmd/` turns their results into text or JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;
mod cmd;

/// neurofed: a federated repository for multi-center neuroimaging cohorts.
#[derive(Debug, Parser)]
#[command(name = "neurofed", version, about, long_about = None)]
struct Cli {
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
    Init(cmd::repo::InitArgs),
    /// Serve the HTTP API (`ready http=ADDR` on stdout once listening) until SIGINT/SIGTERM.
    Serve(cmd::serve::ServeArgs),
    /// Import DICOM files, folders, DICOMDIR trees or zip archives into a study.
    Import(cmd::import::ImportArgs),
    /// Show the repository's counts.
    Stats(cmd::repo::JsonArg),
    /// List datasets.
    Ls(cmd::repo::JsonArg),
    /// Search the node's datasets (text, filters, facet counts, autocomplete); `--federated`:
    /// every member of the consortium, through the running node.
    Search(cmd::search::SearchArgs),
    /// Rebuild the search index from the catalog.
    Reindex(cmd::search::ReindexArgs),
    /// Export stored datasets.
    Export(cmd::repo::ExportArgs),
    /// Study cards and quality cards: add, list, re-apply.
    #[command(subcommand)]
    Studycard(cmd::studycard::StudycardCmd),
    /// Re-hash every blob and check every catalog reference; non-zero exit on any inconsistency.
    Fsck(cmd::repo::FsckArgs),
    /// Local accounts and their API tokens.
    #[command(subcommand)]
    User(cmd::access::UserCommand),
    /// Per-study rights: see, download, import, administer.
    #[command(subcommand)]
    Rights(cmd::access::RightsCommand),
    /// Study settings.
    #[command(subcommand)]
    Study(cmd::access::StudyCommand),
    /// Show the audit log, newest first.
    Audit(cmd::access::AuditArgs),
    /// This node's keys (its libp2p identity), users' and consortium keys.
    #[command(subcommand)]
    Keys(cli::keys::KeysCmd),
    /// Consortium coordination: create, admit members, publish the roster, join.
    #[command(subcommand)]
    Consortium(cli::consortium::ConsortiumCmd),
    /// Signed access grants: issue, delegate, verify, revoke, keep.
    #[command(subcommand)]
    Grant(cli::grant::GrantCmd),
    /// Fetch a dataset found by a federated search, through the running node.
    Fetch(cmd::federation::FetchArgs),
    /// A consortium of three centers on this machine, in one command.
    Demo(cmd::federation::DemoArgs),
    /// Write a sample MR corpus (procedural phantoms, fake PHI, DICOMDIR, truth.tsv).
    Sample(cmd::sample::SampleArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NEUROFED_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let home = node::Home::new(cli.home.unwrap_or_else(node::Home::default_root));
    let result = match cli.command {
        Command::Init(a) => cmd::repo::init(&home, a),
        Command::Serve(a) => cmd::serve::run(&home, a),
        Command::Import(a) => cmd::import::run(&home, a),
        Command::Stats(a) => cmd::repo::stats(&home, a),
        Command::Ls(a) => cmd::repo::ls(&home, a),
        Command::Search(a) => cmd::search::search(&home, a),
        Command::Reindex(a) => cmd::search::reindex(&home, a),
        Command::Export(a) => cmd::repo::export(&home, a),
        Command::Fsck(a) => cmd::repo::fsck(&home, a),
        Command::Studycard(c) => cmd::studycard::run(&home, c),
        Command::User(c) => cmd::access::user(&home, c),
        Command::Rights(c) => cmd::access::rights(&home, c),
        Command::Study(c) => cmd::access::study(&home, c),
        Command::Audit(a) => cmd::access::audit(&home, a),
        Command::Keys(c) => cmd::grants::keys(&home, c),
        Command::Consortium(c) => cmd::grants::consortium(&home, c),
        Command::Grant(c) => cmd::grants::grant(&home, c),
        Command::Fetch(a) => cmd::federation::fetch(a),
        Command::Demo(a) => cmd::federation::demo(a),
        Command::Sample(a) => cmd::sample::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
