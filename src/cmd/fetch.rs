//! `neurofed fetch` (through the running node, see [`web::ApiClient`]) and `neurofed demo` (see
//! [`web::demo`]): arguments and printing.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use web::{DemoEvent, DemoOptions};

use super::results::{print, View};
use super::search::ApiArgs;
use crate::out::{human_bytes, json};
use crate::outln;
use crate::progress::{Bar, Unit};

/// `neurofed fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The dataset's content id (from a search hit).
    content_id: protocol::ContentId,
    /// Where to write its files.
    #[arg(long)]
    out: PathBuf,
    /// Machine-readable output: `{"content_id", "origin", "files", "bytes", "out"}`.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    api: ApiArgs,
}

/// `neurofed demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to create the four homes (default: a temporary folder, removed at exit).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The generated corpus (default: $NEUROFED_SYNTH, else target/corpus/synth).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Where center A's HTTP API listens (port 0: any free port; the `ready` line says which).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    http: std::net::SocketAddr,
    /// Run the federated search once and exit, instead of serving center A's API until Ctrl-C.
    #[arg(long)]
    once: bool,
}

pub fn fetch(a: FetchArgs) -> anyhow::Result<ExitCode> {
    let bar = Bar::new("downloading", Unit::Bytes);
    let r = a.api.client().fetch(a.content_id, &a.out, &bar);
    bar.finish();
    let r = r?;
    if a.json {
        json(&r)?;
    } else {
        outln!(
            "fetched {} from {} ({} files, {}) into {}",
            a.content_id.short(12),
            r.origin,
            r.files,
            human_bytes(r.bytes),
            r.out.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn narrate(e: DemoEvent<'_>) -> std::io::Result<()> {
    match e {
        DemoEvent::Started { root } => outln!("neurofed demo in {}", root.display())?,
        DemoEvent::Coordinator { consortium } => outln!("coordinator: consortium {consortium}")?,
        DemoEvent::Imported { center, summary: s } => outln!(
            "{center}: imported {} instances, {} series, {} subjects",
            s.instances,
            s.series,
            s.subjects
        )?,
        DemoEvent::Granted { by, to } => {
            outln!("{by} granted {to}'s user \"demo\" its study \"MS cohort\"")?
        }
        DemoEvent::Listening {
            center,
            node,
            addrs,
        } => outln!("{center:<9} {node}  listening on {addrs}")?,
        DemoEvent::Searched { center, results } => {
            outln!(
                "\nfederated search from {center} as user \"demo\" ({} ms):",
                results.elapsed_ms
            )?;
            print(&View::from(results))?;
        }
        DemoEvent::Serving {
            center,
            addr,
            root,
            token,
            password,
            p2p,
        } => {
            outln!(
                "\n{center}'s HTTP API: http://{addr}/api/v1 (homes in {})",
                root.display()
            )?;
            outln!("portal: http://{addr}/ (log in as \"demo\", password {password})")?;
            outln!("user \"demo\", API token: {token}")?;
            outln!("try:")?;
            outln!("  curl -H 'Authorization: Bearer {token}' 'http://{addr}/api/v1/search?scope=federated&facet=center&facet=nature&limit=3'")?;
            outln!("  curl -H 'Authorization: Bearer {token}' http://{addr}/api/v1/consortium")?;
            outln!("  NEUROFED_TOKEN={token} neurofed search --federated --node http://{addr} --facet center")?;
            outln!("  NEUROFED_TOKEN={token} neurofed fetch CONTENT_ID --node http://{addr} --out fetched")?;
            outln!("ready http={addr} p2p={p2p}")?;
        }
        DemoEvent::Finished { kept: false } => {
            outln!("\n(temporary homes removed; pass --dir DIR to keep them)")?
        }
        _ => {}
    }
    std::io::stdout().flush()
}

pub fn demo(a: DemoArgs) -> anyhow::Result<ExitCode> {
    let corpus = a
        .corpus
        .or_else(|| std::env::var_os("NEUROFED_SYNTH").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target/corpus/synth"));
    let opts = DemoOptions {
        dir: a.dir,
        corpus,
        http: a.http,
        once: a.once,
    };
    web::demo(opts, &mut narrate)?;
    Ok(ExitCode::SUCCESS)
}
