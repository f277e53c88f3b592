//! `neurofed serve`: the HTTP API on a socket until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use federation::coordinator::{Coordinator, Schedule, Service};
use node::{Home, Node};

use super::consortium::duration_secs;
use web::{AppState, WebConfig};

/// Arguments of `neurofed serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address of the HTTP API (port 0: any free port; the `ready` line says which).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    http: SocketAddr,
    /// Largest upload accepted by POST /api/v1/import, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = web::DEFAULT_MAX_UPLOAD_BYTES)]
    max_upload: u64,
    /// Where uploads are spooled while they import (default: the system's temporary folder;
    /// never inside the node's home).
    #[arg(long, value_name = "DIR")]
    upload_dir: Option<PathBuf>,
    /// Mark the session cookie Secure (when served behind HTTPS).
    #[arg(long)]
    secure_cookie: bool,
    /// Join the consortium recorded in the home (`neurofed consortium join`) and listen for its
    /// members on this libp2p address, e.g. `/ip4/0.0.0.0/tcp/4001` (`tcp/0`: any free port;
    /// the `ready` line says which).
    #[arg(long, value_name = "MULTIADDR")]
    p2p: Option<federation::Multiaddr>,
    /// Also serve DIMSE on this address (C-ECHO; C-STORE into the study configured for the
    /// calling AE title under `[dicom.callers.AE]` in config.toml), e.g. `127.0.0.1:11112`
    /// (port 0: any free port; the `ready` line says which).
    #[arg(long, value_name = "ADDR")]
    dicom: Option<SocketAddr>,
    /// Also run the coordinator's service of the consortium this home coordinates (needs `--p2p`
    /// and this node admitted to and joined in that consortium, like any member): re-sign the
    /// revocation list on a schedule and spread every new roster and list to the members.
    #[arg(long, requires = "p2p")]
    coordinator: bool,
    /// Which consortium, when this home coordinates several.
    #[arg(long, requires = "coordinator")]
    consortium: Option<String>,
    /// How often the coordinator re-signs the revocation list (90, 15m, 1h, 7d).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = duration_secs)]
    list_every: u64,
    /// How long members trust each list the coordinator signs (at most 90 days).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = duration_secs)]
    list_valid: u64,
    /// How often the coordinator looks for new admissions and lists written by the CLI.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration_secs)]
    coordinator_check: u64,
}

pub fn run(home: &Home, a: ServeArgs) -> anyhow::Result<ExitCode> {
    let node = Arc::new(Node::open(home)?);
    // Open the coordinator first: a wrong home fails before anything listens.
    let coordinator = if a.coordinator {
        Some(Coordinator::open(home, a.consortium.as_deref())?)
    } else {
        None
    };
    let schedule = Schedule {
        list_every: Duration::from_secs(a.list_every),
        list_valid: Duration::from_secs(a.list_valid),
        check_every: Duration::from_secs(a.coordinator_check),
    };
    let mut config = WebConfig {
        max_upload_bytes: a.max_upload,
        secure_cookie: a.secure_cookie,
        cors_origins: node.config.http.cors_origins.clone(),
        limits: web::HttpLimits::from_config(&node.config.http),
        ..WebConfig::default()
    };
    if let Some(d) = a.upload_dir {
        config.upload_dir = d;
    }
    let state = AppState::with_config(node.clone(), config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.http)
            .await
            .with_context(|| format!("binding {}", a.http))?;
        let addr = listener.local_addr().context("local address")?;
        let (state, fed) = match a.p2p {
            None => (state, None),
            Some(p2p) => {
                let fed_config = federation::FedConfig {
                    listen: vec![p2p],
                    ..federation::FedConfig::default()
                };
                let (client, events, _loop) =
                    federation::Federation::start(node.clone(), fed_config)
                        .await
                        .context("joining the consortium")?;
                federation::content::serve_node(&client, node.clone())
                    .context("serving content transfers")?;
                if let Some(c) = coordinator {
                    let slug = c.slug().to_string();
                    let service = Service::new(c, client.clone(), schedule).with_context(|| {
                        format!(
                            "coordinating {slug:?}: admit this node (`neurofed keys show`) with \
                             `consortium admit`, publish a roster and `consortium join` it first"
                        )
                    })?;
                    tokio::spawn(service.run());
                    tracing::info!(consortium = %slug, "coordinator service running");
                }
                tokio::spawn(log_events(events));
                (state.with_federation(client.clone()), Some(client))
            }
        };
        let dicom = match a.dicom {
            None => None,
            Some(d) => {
                let l = tokio::net::TcpListener::bind(d)
                    .await
                    .with_context(|| format!("binding the DIMSE address {d}"))?;
                let at = l.local_addr().context("local DIMSE address")?;
                if node.config.dicom.callers.is_empty() {
                    tracing::warn!(
                        "DIMSE: no [dicom.callers.AE] in config.toml: every association is refused"
                    );
                }
                tokio::spawn(web::serve_dimse(l, state.clone()));
                tracing::info!(%at, ae_title = %node.config.dicom.ae_title, "serving DIMSE");
                Some(at)
            }
        };
        {
            let mut out = std::io::stdout().lock();
            let mut line = format!("ready http={addr}");
            if let Some(c) = &fed {
                let p2p: Vec<String> = c.listen_addrs().iter().map(ToString::to_string).collect();
                line.push_str(&format!(" p2p={}", p2p.join(",")));
            }
            if let Some(d) = dicom {
                line.push_str(&format!(" dicom={d}"));
            }
            writeln!(out, "{line}")?;
            out.flush()?;
        }
        tracing::info!(%addr, "serving the HTTP API");
        web::serve(listener, state, shutdown())
            .await
            .context("serving HTTP")?;
        if let Some(c) = fed {
            c.shutdown().await;
        }
        tracing::info!("stopped");
        anyhow::Ok(ExitCode::SUCCESS)
    })
}

/// The federation's events, logged.
async fn log_events(mut events: federation::Events) {
    use futures::StreamExt;
    while let Some(e) = events.next().await {
        tracing::info!(event = ?e, "federation");
    }
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
