//! `neurofed search [--federated]`, `neurofed fetch`, `neurofed demo`.
//!
//! `search` and `fetch` talk to the running node (`neurofed serve`) over its HTTP API, so they
//! use the node's consortium connections and the caller's token:
//! - `GET  /api/v1/search?scope=federated|local&q=..&filter=field:v1,v2&facet=field:size
//!   &sort=key:asc|desc&offset=N&size=N` -> a `federation::FederatedResults` (JSON);
//! - `POST /api/v1/fetch {"content_id": HEX}` -> `{"content_id", "files": [{"path", "content",
//!   "size"}]}` once the node holds the dataset, each file then read with
//!   `GET /api/v1/blobs/{content}`.
//!
//! The token comes from `--token` or `NEUROFED_TOKEN`, the node from `--node` (default
//! `http://127.0.0.1:8080`). See docs/federation.md.
//!
//! `demo` builds a consortium of three centers in one process (a coordinator, centers A, B, C
//! each holding a third of the generated corpus), connects them on 127.0.0.1 and runs one
//! federated search as center A's user.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use federation::state::{self, Joined};
use federation::{Authorization, FedConfig, FederatedResults, Federation, NodeOutcome};
use node::AccessScope;
use node::NoProgress;
use node::Node;
use node::{Home, KeyFile};
use node::{ImportOptions, Importer};
use protocol::grant::{
    ActionSet, Capability, CapabilityChain, Membership, Resource, RevocationList, Roster,
    RosterMember,
};
use protocol::query::{
    FacetField, FacetRequest, Filter, Page, SearchQuery, SearchResults, Sort, SortKey, SortOrder,
};
use protocol::signed::Signed;

/// A search sent to the running node (`neurofed search --federated`; the options are those of
/// `neurofed search`, see `cmd::search`).
#[derive(Debug)]
pub struct SearchArgs {
    /// Free text.
    pub text: Option<String>,
    /// Search every member of the consortium, not only this node.
    pub federated: bool,
    /// Filters, as in the HTTP API.
    pub filters: Vec<String>,
    /// Facets, `field[:size]`.
    pub facets: Vec<String>,
    /// Sort key `key[:asc|desc]`.
    pub sort: Option<String>,
    /// Hits skipped.
    pub offset: u32,
    /// Hits shown (0: counts only).
    pub size: u32,
    /// Machine-readable output.
    pub json: bool,
    /// Where the running node is.
    pub api: ApiArgs,
}

/// Where the running node is, and the caller's token.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// The running node's HTTP API.
    #[arg(long, env = "NEUROFED_NODE", default_value = "http://127.0.0.1:8080")]
    node: String,
    /// API token (`neurofed user token`).
    #[arg(long, env = "NEUROFED_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// `neurofed fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    /// The dataset's content id (from a search hit).
    content_id: protocol::ContentId,
    /// Where to write its files.
    #[arg(long)]
    out: PathBuf,
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

/// Parse `field:v1,v2` into a term filter.
fn parse_filter(s: &str) -> Result<Filter> {
    let (field, values) = s
        .split_once(':')
        .with_context(|| format!("{s:?}: a filter is FIELD:VALUE[,VALUE...]"))?;
    Ok(Filter::Term {
        field: field.trim().parse()?,
        values: values.split(',').map(|v| v.trim().to_string()).collect(),
        exclude: false,
    })
}

/// Parse `field[:size]`.
fn parse_facet(s: &str) -> Result<FacetRequest> {
    let (field, size) = match s.split_once(':') {
        Some((f, n)) => (
            f,
            n.trim()
                .parse()
                .with_context(|| format!("{s:?}: bad size"))?,
        ),
        None => (s, 10),
    };
    Ok(FacetRequest {
        field: field.trim().parse()?,
        size,
    })
}

fn parse_sort(s: &str) -> Result<Sort> {
    let (key, order) = s.split_once(':').unwrap_or((s, "desc"));
    let order = match order {
        "asc" => SortOrder::Asc,
        "desc" => SortOrder::Desc,
        o => bail!("{o:?}: sort order is asc or desc"),
    };
    Ok(Sort {
        by: key.parse::<SortKey>()?,
        order,
    })
}

fn with_token(
    req: ureq::RequestBuilder<ureq::typestate::WithoutBody>,
    api: &ApiArgs,
) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
    match &api.token {
        Some(t) => req.header("Authorization", &format!("Bearer {t}")),
        None => req,
    }
}

fn api_error(e: ureq::Error, node: &str) -> anyhow::Error {
    match e {
        ureq::Error::StatusCode(401) => {
            anyhow::anyhow!("{node} refused the token (set --token or NEUROFED_TOKEN)")
        }
        ureq::Error::StatusCode(c) => anyhow::anyhow!("{node} answered HTTP {c}"),
        ureq::Error::Io(io) => {
            anyhow::anyhow!("cannot reach {node}: {io} (is `neurofed serve` running?)")
        }
        other => anyhow::anyhow!("{node}: {other}"),
    }
}

/// `neurofed search`.
pub fn search(a: SearchArgs) -> Result<ExitCode> {
    let mut query = SearchQuery {
        text: a.text.clone(),
        filters: a
            .filters
            .iter()
            .map(|f| parse_filter(f))
            .collect::<Result<_>>()?,
        facets: a
            .facets
            .iter()
            .map(|f| parse_facet(f))
            .collect::<Result<_>>()?,
        page: Page {
            offset: a.offset,
            size: a.size,
        },
        ..SearchQuery::default()
    };
    if let Some(s) = &a.sort {
        query.sort = parse_sort(s)?;
    }
    query.validate()?;
    let url = format!("{}/api/v1/search", a.api.node.trim_end_matches('/'));
    let mut req = ureq::get(&url).query("scope", if a.federated { "federated" } else { "local" });
    if let Some(t) = &a.text {
        req = req.query("q", t);
    }
    for f in &a.filters {
        req = req.query("filter", f);
    }
    for f in &a.facets {
        req = req.query("facet", f);
    }
    if let Some(s) = &a.sort {
        req = req.query("sort", s);
    }
    let req = req
        .query("offset", a.offset.to_string())
        .query("limit", a.size.to_string());
    let mut resp = with_token(req, &a.api)
        .call()
        .map_err(|e| api_error(e, &a.api.node))?;
    let value: serde_json::Value = resp
        .body_mut()
        .read_json()
        .context("the node's answer is not JSON")?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(ExitCode::SUCCESS);
    }
    print_http_results(&value);
    Ok(ExitCode::SUCCESS)
}

/// Print the JSON of `GET /api/v1/search` (local or federated) for people.
fn print_http_results(v: &serde_json::Value) {
    let count = |c: &serde_json::Value| match c {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    println!("{} datasets", count(&v["total"]));
    if let Some(facets) = v["facets"].as_object() {
        for (field, values) in facets {
            let values: Vec<String> = values
                .as_object()
                .map(|m| m.iter().map(|(k, c)| format!("{k} {}", count(c))).collect())
                .unwrap_or_default();
            let bound = v["facet_error_bound"][field]
                .as_u64()
                .map(|b| format!(" (each within {b})"))
                .unwrap_or_default();
            println!("  {field:<14} {}{bound}", values.join(", "));
        }
    }
    for h in v["hits"].as_array().into_iter().flatten() {
        let s = |k: &str| h[k].as_str().unwrap_or("-").to_string();
        let content = s("content");
        println!(
            "  {}  {:<12} {:<10} {:<4} {:<8} {}",
            content.get(..12).unwrap_or(&content),
            s("center"),
            s("subject"),
            s("modality"),
            s("nature"),
            h["node"].as_str().unwrap_or(""),
        );
    }
    if let Some(c) = v.get("coverage") {
        println!("coverage: {}/{} nodes", c["answered"], c["members"]);
    }
    for n in v["nodes"].as_array().into_iter().flatten() {
        let detail = n["code"]
            .as_str()
            .or(n["reason"].as_str())
            .or(n["message"].as_str())
            .unwrap_or("");
        println!(
            "  {:<14} {:<12} {:>6} ms  {:>5} hits  {}",
            n["center"].as_str().unwrap_or("?"),
            n["status"].as_str().unwrap_or("?"),
            n["latency_ms"]
                .as_u64()
                .map(|l| l.to_string())
                .unwrap_or_else(|| "-".into()),
            n["hits"].as_u64().unwrap_or(0),
            detail,
        );
    }
}

fn print_results(r: &SearchResults) {
    println!("{} datasets", r.total);
    for f in &r.facets {
        let values: Vec<String> = f
            .values
            .iter()
            .map(|v| format!("{} {}", v.value, v.count))
            .collect();
        let bound = f
            .error_bound
            .map(|b| format!(" (each within {b})"))
            .unwrap_or_default();
        println!("  {:<14} {}{bound}", f.field.as_str(), values.join(", "));
    }
    for h in &r.hits {
        println!(
            "  {}  {:<12} {:<10} {:<4} {:<8} {}",
            h.content.short(12),
            h.center,
            h.subject,
            h.modality,
            h.nature.as_deref().unwrap_or("-"),
            h.node.map(|n| n.to_string()).unwrap_or_default(),
        );
    }
}

/// A relative path inside the output folder (no `..`, no root).
fn safe_relative(p: &str) -> Option<PathBuf> {
    let path = Path::new(p);
    let normal = path.components().all(|c| matches!(c, Component::Normal(_)));
    (normal && path.components().next().is_some()).then(|| path.to_path_buf())
}

/// `neurofed fetch`.
pub fn fetch(a: FetchArgs) -> Result<ExitCode> {
    #[derive(serde::Deserialize)]
    struct File {
        path: String,
        content: protocol::ContentId,
        size: u64,
    }
    #[derive(serde::Deserialize)]
    struct Fetched {
        origin: String,
        files: Vec<File>,
    }
    let base = a.api.node.trim_end_matches('/');
    let mut req = ureq::post(&format!("{base}/api/v1/fetch"));
    if let Some(t) = &a.api.token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req
        .send_json(serde_json::json!({ "content_id": a.content_id.to_hex() }))
        .map_err(|e| api_error(e, &a.api.node))?;
    let fetched: Fetched = resp
        .body_mut()
        .read_json()
        .context("the node's answer is not JSON")?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    let mut total = 0u64;
    for f in &fetched.files {
        let rel =
            safe_relative(&f.path).with_context(|| format!("refusing file path {:?}", f.path))?;
        let dest = a.out.join(rel);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let req = ureq::get(&format!("{base}/api/v1/blobs/{}", f.content.to_hex()))
            .query("dataset", a.content_id.to_hex());
        let resp = with_token(req, &a.api)
            .call()
            .map_err(|e| api_error(e, &a.api.node))?;
        let mut reader = resp.into_body().into_reader();
        // Written beside its destination, checked against its content id, then renamed.
        let tmp = dest.with_extension("part");
        let mut out = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut n = 0u64;
        loop {
            let k = reader.read(&mut buf)?;
            if k == 0 {
                break;
            }
            hasher.update(&buf[..k]);
            out.write_all(&buf[..k])?;
            n += k as u64;
        }
        out.sync_all()?;
        drop(out);
        if n != f.size || protocol::ContentId::from_hasher(&hasher) != f.content {
            let _ = std::fs::remove_file(&tmp);
            bail!(
                "{}: the node sent {n} bytes that do not hash to {}",
                f.path,
                f.content
            );
        }
        std::fs::rename(&tmp, &dest)?;
        total += n;
    }
    println!(
        "fetched {} from {} ({} files, {}) into {}",
        a.content_id.short(12),
        fetched.origin,
        fetched.files.len(),
        super::human_bytes(total),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

struct Center {
    name: &'static str,
    home: Home,
    node: Arc<Node>,
    key: KeyFile,
}

/// `neurofed demo`.
pub fn demo(a: DemoArgs) -> Result<ExitCode> {
    let corpus = a
        .corpus
        .or_else(|| std::env::var_os("NEUROFED_SYNTH").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("target/corpus/synth"));
    if !corpus.join("truth.tsv").is_file() {
        bail!(
            "no generated corpus at {} (make it with `neurofed sample --out {}`, as scripts/demo does, or pass --corpus)",
            corpus.display(),
            corpus.display()
        );
    }
    let mut subjects: Vec<PathBuf> = std::fs::read_dir(&corpus)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    if subjects.len() < 3 {
        bail!(
            "{}: the demo needs at least 3 subject folders",
            corpus.display()
        );
    }
    let (_tmp, root) = match &a.dir {
        Some(d) => (None, d.clone()),
        None => {
            let t = tempfile::Builder::new()
                .prefix("neurofed-demo-")
                .tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    std::fs::create_dir_all(&root)?;
    println!("neurofed demo in {}", root.display());

    // The coordinator and its consortium key.
    let coord_home = Home::new(root.join("coordinator"));
    let coord = KeyFile::load_or_create(&coord_home.consortium_key_path("demo-consortium")?)?;
    println!("coordinator: consortium {}", coord.public());

    // Three centers, each with a third of the subjects.
    let names = ["Center A", "Center B", "Center C"];
    // The example study cards, built in, so that the demo runs from any folder.
    let cards_dir = root.join("cards");
    std::fs::create_dir_all(&cards_dir)?;
    let mut cards = Vec::new();
    for (name, text) in [
        (
            "mr-natures.toml",
            include_str!("../../docs/cards/mr-natures.toml"),
        ),
        (
            "mr-quality.toml",
            include_str!("../../docs/cards/mr-quality.toml"),
        ),
    ] {
        let path = cards_dir.join(name);
        std::fs::write(&path, text)?;
        cards.push(path);
    }
    let mut centers = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let home = Home::new(root.join(format!("center-{}", (b'a' + i as u8) as char)));
        drop(home.init(name, Some([42; 32]))?);
        for card in &cards {
            super::studycard::run(
                &home,
                super::studycard::StudycardCmd::Add {
                    file: card.clone(),
                    study: Some("MS cohort".into()),
                },
            )?;
        }
        let node = Node::open(&home)?;
        let mine: Vec<PathBuf> = subjects.iter().skip(i).step_by(3).cloned().collect();
        let opts = ImportOptions {
            study: Some("MS cohort".into()),
            ..ImportOptions::default()
        };
        let s = Importer::new(&node).run(&mine, &opts, &NoProgress)?;
        println!(
            "{name}: imported {} instances, {} series, {} subjects",
            s.instances, s.series, s.subjects
        );
        let key = state::node_key(&home)?;
        centers.push(Center {
            name,
            home,
            node: Arc::new(node),
            key,
        });
    }

    // Admit them, publish a roster and a revocation list, join.
    let t = now();
    let members = |addrs: &dyn Fn(usize) -> Vec<String>| -> Vec<RosterMember> {
        centers
            .iter()
            .enumerate()
            .map(|(i, c)| RosterMember {
                node: c.key.public(),
                addrs: addrs(i),
                center: c.name.into(),
            })
            .collect()
    };
    let roster1 = Signed::sign(
        Roster::new(coord.public(), 1, t, members(&|_| vec![])),
        coord.secret(),
    )?;
    let list = Signed::sign(
        RevocationList::new(coord.public(), 1, t, Default::default()),
        coord.secret(),
    )?;
    for c in &centers {
        let membership = Signed::sign(
            Membership::new(
                coord.public(),
                c.key.public(),
                c.name,
                t - 60,
                t + 30 * 86_400,
            ),
            coord.secret(),
        )?;
        state::store_joined(
            &c.home,
            &Joined {
                roster: roster1.clone(),
                membership,
            },
        )?;
        state::store_revocation_list(&c.home, &list)?;
    }

    // Center A's user "demo"; B and C grant it their study (count, search, download).
    let a_home = centers[0].home.clone();
    let user = KeyFile::load_or_create(&a_home.user_key_path("demo")?)?;
    for c in &centers[1..] {
        let study = c
            .node
            .catalog
            .study_by_name("MS cohort")?
            .context("the import created the study")?;
        let cap = Capability::new(
            c.key.public(),
            user.public(),
            Resource::Studies {
                ids: [study.id].into(),
                node: c.key.public(),
            },
            "count,search,download".parse::<ActionSet>()?,
            t - 60,
            t + 7 * 86_400,
        );
        let chain = CapabilityChain::new(vec![Signed::sign(cap, c.key.secret())?])?;
        state::store_grant(&a_home, &chain)?;
        println!(
            "{} granted {}'s user \"demo\" its study \"MS cohort\"",
            c.name, centers[0].name
        );
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut clients = Vec::new();
        for c in &centers {
            let (client, _events, _h) = Federation::start(c.node.clone(), FedConfig::loopback()).await?;
            clients.push(client);
        }
        // The roster with the real addresses, pushed to every node.
        let addrs: Vec<Vec<String>> = clients
            .iter()
            .map(|c| c.listen_addrs().iter().map(ToString::to_string).collect())
            .collect();
        let roster2 = Signed::sign(
            Roster::new(coord.public(), 2, now(), members(&|i| addrs[i].clone())),
            coord.secret(),
        )?;
        for c in &clients {
            c.push_roster(roster2.clone()).await?;
        }
        for (c, center) in clients.iter().zip(&centers) {
            if !c.wait_for_members(2, Duration::from_secs(15)).await {
                bail!("{} did not connect to the others: {:?}", center.name, c.members());
            }
        }
        println!();
        for (c, center) in clients.iter().zip(&centers) {
            println!("{:<9} {}  listening on {}", center.name, c.node(), addrs_text(c));
        }
        let auth = Authorization::for_user(&a_home, "demo")?;
        let query = SearchQuery {
            facets: [FacetField::Center, FacetField::Modality, FacetField::Nature, FacetField::Sex]
                .into_iter()
                .map(|field| FacetRequest { field, size: 10 })
                .collect(),
            page: Page { offset: 0, size: 5 },
            ..SearchQuery::default()
        };
        let r = clients[0].search(query, &auth, Some(AccessScope::All)).await?;
        println!("\nfederated search from {} as user \"demo\" ({} ms):", centers[0].name, r.elapsed_ms);
        print_report(&r);
        if !a.once {
            for (c, center) in clients.iter().zip(&centers) {
                federation::content::serve_node(c, center.node.clone())?;
            }
            let token = demo_account(&centers[0].node)?;
            let listener = tokio::net::TcpListener::bind(a.http)
                .await
                .with_context(|| format!("binding {}", a.http))?;
            let addr = listener.local_addr()?;
            let state = web::AppState::new(centers[0].node.clone())?.with_federation(clients[0].clone());
            println!("\n{}'s HTTP API: http://{addr}/api/v1 (homes in {})", centers[0].name, root.display());
            println!("user \"demo\", API token: {token}");
            println!("try:");
            println!("  curl -H 'Authorization: Bearer {token}' 'http://{addr}/api/v1/search?scope=federated&facet=center&facet=nature&limit=3'");
            println!("  curl -H 'Authorization: Bearer {token}' http://{addr}/api/v1/consortium");
            println!("  NEUROFED_TOKEN={token} neurofed search --federated --node http://{addr} --facet center");
            println!("  NEUROFED_TOKEN={token} neurofed fetch CONTENT_ID --node http://{addr} --out fetched");
            println!("ready http={addr} p2p={}", addrs_text(&clients[0]).replace(' ', ","));
            std::io::stdout().flush()?;
            axum::serve(listener, web::app(state))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
        for c in &clients {
            c.shutdown().await;
        }
        Ok(())
    })?;
    if a.dir.is_none() {
        println!("\n(temporary homes removed; pass --dir DIR to keep them)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Center A's web account "demo" (the same name as its federation key), with `see` and
/// `download` on A's study; a new API token for it.
fn demo_account(node: &Node) -> Result<String> {
    use node::{self, Access, Grant, NewUser, PasswordCost, Principal, Role};
    let access = Access::with_password_cost(&node.catalog, PasswordCost::DEFAULT);
    let op = Principal::Operator;
    let now = node::now();
    if access.users().get("demo")?.is_none() {
        let password = format!("demo-{}", now);
        access
            .users()
            .add(&op, NewUser::new("demo", Role::User), &password, now)?;
    }
    let study = node
        .catalog
        .study_by_name("MS cohort")?
        .context("the import created the study")?;
    access.rights().grant(
        &op,
        "demo",
        study.id,
        Grant {
            rights: "see,download".parse()?,
            until: None,
            centers: None,
        },
        now,
    )?;
    let (token, _) = access
        .tokens()
        .create(&op, "demo", "neurofed demo", None, now)?;
    Ok(token)
}

fn addrs_text(c: &federation::Client) -> String {
    c.listen_addrs()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn print_report(r: &FederatedResults) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "coverage: {}/{} nodes answered",
        r.coverage.answered, r.coverage.members
    );
    for n in &r.nodes {
        let detail = match &n.outcome {
            NodeOutcome::Ok => String::new(),
            NodeOutcome::Timeout => "no answer before the deadline".into(),
            NodeOutcome::Unreachable { reason } => reason.clone(),
            NodeOutcome::Denied { code } => code.clone(),
            NodeOutcome::Error { message } => message.clone(),
        };
        let _ = writeln!(
            out,
            "  {:<9} {:<12} {:>5} ms  {:>4} hits  total {:<6} {detail}",
            n.center,
            n.outcome.word(),
            n.latency_ms
                .map(|l| l.to_string())
                .unwrap_or_else(|| "-".into()),
            n.hits,
            n.total.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
        );
    }
    drop(out);
    print_results(&r.results);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_arguments_parse_or_say_why() {
        assert_eq!(
            parse_filter("modality:MR,CT").unwrap(),
            Filter::Term {
                field: FacetField::Modality,
                values: vec!["MR".into(), "CT".into()],
                exclude: false
            }
        );
        assert!(parse_filter("modality").is_err());
        assert!(parse_filter("colour:red").is_err());
        assert_eq!(
            parse_facet("nature:25").unwrap(),
            FacetRequest {
                field: FacetField::Nature,
                size: 25
            }
        );
        assert_eq!(parse_facet("sex").unwrap().size, 10);
        assert!(parse_facet("sex:many").is_err());
        let s = parse_sort("exam_date:asc").unwrap();
        assert_eq!((s.by, s.order), (SortKey::ExamDate, SortOrder::Asc));
        assert_eq!(parse_sort("subject").unwrap().order, SortOrder::Desc);
        assert!(parse_sort("subject:up").is_err());
    }

    #[test]
    fn fetched_paths_stay_inside_the_output_folder() {
        assert_eq!(
            safe_relative("sub-01/ses-01/x.dcm"),
            Some(PathBuf::from("sub-01/ses-01/x.dcm"))
        );
        for bad in ["../etc/passwd", "/etc/passwd", "a/../../b", "", "./a"] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
