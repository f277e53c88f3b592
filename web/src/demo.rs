//! `neurofed demo`: a consortium of three centers in one process. A coordinator admits centers
//! A, B and C (each holding a third of a generated corpus's subjects, imported into study
//! "MS cohort" with the example study cards), they connect on 127.0.0.1, B and C grant center
//! A's user "demo" their study, and A runs one federated search; then (unless `once`) A serves
//! its HTTP API until Ctrl-C, with an API token for "demo".
//!
//! What happens is told to the caller as [`DemoEvent`]s, in order; the caller prints them
//! (the CLI with the same printer as `neurofed search`). Every home lives under one folder, a
//! temporary one unless the caller names it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use federation::state::{self, Joined};
use federation::{Authorization, FedConfig, Federation};
use node::{AccessScope, Home, ImportOptions, ImportSummary, Importer, KeyFile, NoProgress, Node};
use protocol::grant::{
    ActionSet, Capability, CapabilityChain, Membership, Resource, RevocationList, Roster,
    RosterMember,
};
use protocol::keys::PublicKey;
use protocol::query::{FacetField, FacetRequest, Page, SearchQuery};
use protocol::signed::Signed;

use crate::api::results::FederatedBody;

/// The study every center imports into.
pub(crate) const STUDY: &str = "MS cohort";
/// Center A's user, on the web and in the federation.
pub(crate) const USER: &str = "demo";
const CENTERS: [&str; 3] = ["Center A", "Center B", "Center C"];
/// The example cards, built in so that the demo runs from any folder.
const CARDS: [(&str, &str); 2] = [
    (
        "mr-natures.toml",
        include_str!("../../docs/cards/mr-natures.toml"),
    ),
    (
        "mr-quality.toml",
        include_str!("../../docs/cards/mr-quality.toml"),
    ),
];

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where to create the four homes (`None`: a temporary folder, removed at the end).
    pub dir: Option<PathBuf>,
    /// The generated corpus: subject folders and a `truth.tsv`.
    pub corpus: PathBuf,
    /// Where center A's HTTP API listens (port 0: any free port).
    pub http: SocketAddr,
    /// Stop after the federated search instead of serving.
    pub once: bool,
}

/// What the demo did, as it does it.
#[derive(Debug)]
#[non_exhaustive]
pub enum DemoEvent<'a> {
    /// The homes are being made under `root`.
    Started {
        /// Their folder.
        root: &'a Path,
    },
    /// The coordinator's consortium key.
    Coordinator {
        /// The consortium id.
        consortium: PublicKey,
    },
    /// A center imported its subjects.
    Imported {
        /// The center.
        center: &'a str,
        /// What it imported.
        summary: &'a ImportSummary,
    },
    /// A center granted center A's user its study.
    Granted {
        /// The granting center.
        by: &'a str,
        /// Center A.
        to: &'a str,
    },
    /// A center is connected.
    Listening {
        /// The center.
        center: &'a str,
        /// Its node key.
        node: PublicKey,
        /// Its libp2p addresses, space-separated.
        addrs: String,
    },
    /// Center A's federated search, as user "demo".
    Searched {
        /// Center A.
        center: &'a str,
        /// The answer, as `GET /api/v1/search?scope=federated` gives it.
        results: &'a FederatedBody,
    },
    /// Center A serves its API (until Ctrl-C).
    Serving {
        /// Center A.
        center: &'a str,
        /// The HTTP address.
        addr: SocketAddr,
        /// The homes' folder.
        root: &'a Path,
        /// An API token of user "demo".
        token: &'a str,
        /// The password of user "demo", for the portal.
        password: &'a str,
        /// Center A's libp2p addresses, comma-separated.
        p2p: String,
    },
    /// Done; `kept` says whether the homes stay.
    Finished {
        /// Whether the homes were kept (`dir` given).
        kept: bool,
    },
}

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// No corpus where it was looked for.
    #[error("no generated corpus at {} (write one with `neurofed sample --out {}`, as scripts/demo does, or pass --corpus)", .0.display(), .0.display())]
    NoCorpus(PathBuf),
    /// Fewer than three subject folders.
    #[error("{}: the demo needs at least 3 subject folders, it has {found}", .path.display())]
    TooFewSubjects {
        /// The corpus.
        path: PathBuf,
        /// Subject folders found.
        found: usize,
    },
    /// A file or folder.
    #[error("{}: {source}", .path.display())]
    Io {
        /// Which.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Opening or initializing a node, or a node's catalog, index or access.
    #[error(transparent)]
    Node(#[from] node::NodeError),
    /// A catalog operation.
    #[error(transparent)]
    Catalog(#[from] node::CatalogError),
    /// An import.
    #[error(transparent)]
    Import(#[from] node::ImportError),
    /// Accounts, rights or tokens.
    #[error(transparent)]
    Access(#[from] node::AccessError),
    /// A key file.
    #[error(transparent)]
    Key(#[from] node::KeyFileError),
    /// The federation.
    #[error(transparent)]
    Federation(#[from] federation::FedError),
    /// Signing or encoding a document.
    #[error("signing: {0}")]
    Sign(String),
    /// A built-in study card does not load (a build defect).
    #[error("built-in study card: {0}")]
    Card(String),
    /// A center did not connect to the others in time.
    #[error("{center} did not connect to the others: {members}")]
    NotConnected {
        /// The center.
        center: &'static str,
        /// The members it sees.
        members: String,
    },
    /// The web state.
    #[error(transparent)]
    State(#[from] crate::StateError),
    /// The caller's printing failed (a closed pipe, say).
    #[error("output: {0}")]
    Output(#[source] std::io::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DemoError + '_ {
    move |source| DemoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sign_err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Sign(e.to_string())
}

struct Center {
    name: &'static str,
    home: Home,
    node: Arc<Node>,
    key: KeyFile,
}

impl From<node::BadName> for DemoError {
    fn from(e: node::BadName) -> Self {
        DemoError::Key(e.into())
    }
}

/// The corpus's subject folders, sorted.
fn subjects(corpus: &Path) -> Result<Vec<PathBuf>, DemoError> {
    if !corpus.join("truth.tsv").is_file() {
        return Err(DemoError::NoCorpus(corpus.to_path_buf()));
    }
    let mut subjects: Vec<PathBuf> = std::fs::read_dir(corpus)
        .map_err(io(corpus))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subjects.sort();
    if subjects.len() < 3 {
        return Err(DemoError::TooFewSubjects {
            path: corpus.to_path_buf(),
            found: subjects.len(),
        });
    }
    Ok(subjects)
}

/// Make a center: its home, the example cards on the study, a third of the subjects.
fn center(
    root: &Path,
    i: usize,
    cards: &[PathBuf],
    subjects: &[PathBuf],
    on: &mut dyn FnMut(DemoEvent<'_>) -> std::io::Result<()>,
) -> Result<Center, DemoError> {
    let name = CENTERS[i];
    let home = Home::new(root.join(format!("center-{}", (b'a' + i as u8) as char)));
    drop(home.init(name, Some([42; 32]))?);
    let node = Node::open(&home)?;
    let (study, _) = node.catalog.ensure_study(STUDY, None)?;
    for card in cards {
        let source = std::fs::read_to_string(card).map_err(io(card))?;
        let parsed = node::load_card(card).map_err(|e| DemoError::Card(e.to_string()))?;
        node.catalog.add_card(study.id, parsed, &source)?;
    }
    let mine: Vec<PathBuf> = subjects.iter().skip(i).step_by(3).cloned().collect();
    let opts = ImportOptions {
        study: Some(STUDY.into()),
        ..ImportOptions::default()
    };
    let summary = Importer::new(&node).run(&mine, &opts, &NoProgress)?;
    on(DemoEvent::Imported {
        center: name,
        summary: &summary,
    })
    .map_err(DemoError::Output)?;
    let key = state::node_key(&home)?;
    Ok(Center {
        name,
        home,
        node: Arc::new(node),
        key,
    })
}

/// Center A's web account "demo" with `see` and `download` on A's study: a new API token and a
/// new random password (for the portal's login form), both printed by the demo only.
fn demo_account(node: &Node) -> Result<(String, String), DemoError> {
    use node::{Access, Grant, NewUser, PasswordCost, Principal, Role};
    let access = Access::with_password_cost(&node.catalog, PasswordCost::DEFAULT);
    let op = Principal::Operator;
    let now = node::now();
    let mut random = [0u8; 9];
    getrandom::fill(&mut random).map_err(|e| DemoError::Output(std::io::Error::other(e)))?;
    let password: String = std::iter::once("demo-".to_string())
        .chain(random.iter().map(|b| format!("{b:02x}")))
        .collect();
    if access.users().get(USER)?.is_none() {
        access
            .users()
            .add(&op, NewUser::new(USER, Role::User), &password, now)?;
    } else {
        access.users().set_password(&op, USER, &password, now)?;
    }
    let study = node.catalog.require_study(STUDY)?;
    let rights: node::RightSet = "see,download".parse()?;
    access.rights().grant(
        &op,
        USER,
        study.id,
        Grant {
            rights,
            until: None,
            centers: None,
        },
        now,
    )?;
    let (token, _) = access
        .tokens()
        .create(&op, USER, "neurofed demo", None, now)?;
    Ok((token, password))
}

fn addrs_text(c: &federation::Client, sep: &str) -> String {
    c.listen_addrs()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

/// Run the demo (see the module doc), telling `on` what happens. Blocks; serves until Ctrl-C
/// unless `opts.once`.
pub fn run(
    opts: DemoOptions,
    on: &mut dyn FnMut(DemoEvent<'_>) -> std::io::Result<()>,
) -> Result<(), DemoError> {
    let subjects = subjects(&opts.corpus)?;
    let (_tmp, root) = match &opts.dir {
        Some(d) => (None, d.clone()),
        None => {
            let t = tempfile::Builder::new()
                .prefix("neurofed-demo-")
                .tempdir()
                .map_err(io(&std::env::temp_dir()))?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    std::fs::create_dir_all(&root).map_err(io(&root))?;
    on(DemoEvent::Started { root: &root }).map_err(DemoError::Output)?;

    let coord_home = Home::new(root.join("coordinator"));
    let coord = KeyFile::load_or_create(&coord_home.consortium_key_path("demo-consortium")?)?;
    on(DemoEvent::Coordinator {
        consortium: coord.public(),
    })
    .map_err(DemoError::Output)?;

    let cards_dir = root.join("cards");
    std::fs::create_dir_all(&cards_dir).map_err(io(&cards_dir))?;
    let mut cards = Vec::new();
    for (name, text) in CARDS {
        let path = cards_dir.join(name);
        node::write_atomic(&path, text.as_bytes()).map_err(|e| DemoError::Io {
            path: path.clone(),
            source: e.source,
        })?;
        cards.push(path);
    }
    let mut centers = Vec::new();
    for i in 0..CENTERS.len() {
        centers.push(center(&root, i, &cards, &subjects, on)?);
    }

    // Admit them, publish a roster and a revocation list, join.
    let t = node::now();
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
    )
    .map_err(sign_err)?;
    let list = Signed::sign(
        RevocationList::new(coord.public(), 1, t, Default::default()),
        coord.secret(),
    )
    .map_err(sign_err)?;
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
        )
        .map_err(sign_err)?;
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
    let user = KeyFile::load_or_create(&a_home.user_key_path(USER)?)?;
    let actions: ActionSet = "count,search,download".parse().map_err(sign_err)?;
    for c in &centers[1..] {
        let study = c.node.catalog.require_study(STUDY)?;
        let cap = Capability::new(
            c.key.public(),
            user.public(),
            Resource::Studies {
                ids: [study.id].into(),
                node: c.key.public(),
            },
            actions,
            t - 60,
            t + 7 * 86_400,
        );
        let chain =
            CapabilityChain::new(vec![Signed::sign(cap, c.key.secret()).map_err(sign_err)?])
                .map_err(sign_err)?;
        state::store_grant(&a_home, &chain)?;
        on(DemoEvent::Granted {
            by: c.name,
            to: centers[0].name,
        })
        .map_err(DemoError::Output)?;
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(DemoError::Output)?;
    rt.block_on(async {
        let mut clients = Vec::new();
        for c in &centers {
            let (client, _events, _h) =
                Federation::start(c.node.clone(), FedConfig::loopback()).await?;
            clients.push(client);
        }
        // The roster with the real addresses, pushed to every node.
        let addrs: Vec<Vec<String>> = clients
            .iter()
            .map(|c| c.listen_addrs().iter().map(ToString::to_string).collect())
            .collect();
        let roster2 = Signed::sign(
            Roster::new(
                coord.public(),
                2,
                node::now(),
                members(&|i| addrs[i].clone()),
            ),
            coord.secret(),
        )
        .map_err(sign_err)?;
        for c in &clients {
            c.push_roster(roster2.clone()).await?;
        }
        for (c, center) in clients.iter().zip(&centers) {
            if !c.wait_for_members(2, Duration::from_secs(15)).await {
                return Err(DemoError::NotConnected {
                    center: center.name,
                    members: format!("{:?}", c.members()),
                });
            }
        }
        for (c, center) in clients.iter().zip(&centers) {
            on(DemoEvent::Listening {
                center: center.name,
                node: c.node(),
                addrs: addrs_text(c, " "),
            })
            .map_err(DemoError::Output)?;
        }
        let auth = Authorization::for_user(&a_home, USER)?;
        let query = SearchQuery {
            facets: [
                FacetField::Center,
                FacetField::Modality,
                FacetField::Nature,
                FacetField::Sex,
            ]
            .into_iter()
            .map(|field| FacetRequest { field, size: 10 })
            .collect(),
            page: Page { offset: 0, size: 5 },
            ..SearchQuery::default()
        };
        let r = clients[0]
            .search(query, &auth, Some(AccessScope::All))
            .await?;
        let body = FederatedBody::new(r, &[]);
        on(DemoEvent::Searched {
            center: centers[0].name,
            results: &body,
        })
        .map_err(DemoError::Output)?;
        if !opts.once {
            for (c, center) in clients.iter().zip(&centers) {
                federation::content::serve_node(c, center.node.clone())?;
            }
            let (token, password) = demo_account(&centers[0].node)?;
            let listener = tokio::net::TcpListener::bind(opts.http)
                .await
                .map_err(|source| DemoError::Io {
                    path: PathBuf::from(opts.http.to_string()),
                    source,
                })?;
            let addr = listener.local_addr().map_err(DemoError::Output)?;
            let state =
                crate::AppState::new(centers[0].node.clone())?.with_federation(clients[0].clone());
            on(DemoEvent::Serving {
                center: centers[0].name,
                addr,
                root: &root,
                token: &token,
                password: &password,
                p2p: addrs_text(&clients[0], ","),
            })
            .map_err(DemoError::Output)?;
            crate::serve(listener, state, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(DemoError::Output)?;
        }
        for c in &clients {
            c.shutdown().await;
        }
        Ok(())
    })?;
    on(DemoEvent::Finished {
        kept: opts.dir.is_some(),
    })
    .map_err(DemoError::Output)
}
