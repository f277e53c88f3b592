//! Nodes, accounts and request helpers shared by the HTTP tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use node::NoProgress;
use node::{Access, Grant, NewUser, PasswordCost, Principal, Role};
use node::{Home, Node};
use node::{ImportOptions, Importer};
use protocol::id::{CenterId, DatasetId, StudyId};
use serde_json::Value;
use tower::ServiceExt;
use web::{AppState, WebConfig};

/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery";
/// The fixed linkage key (reproducible pseudonyms).
const LINKAGE_KEY: [u8; 32] = *b"neurofed web tests linkage key!!";

/// The generated corpus.
pub fn corpus() -> PathBuf {
    testkit::synth_corpus()
}

/// The three subject folders of the corpus, in name order.
pub fn subject_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    assert_eq!(v.len(), 3, "three subjects in the generated corpus");
    v
}

/// A small 2-D T2 series of the first subject.
pub fn small_series() -> PathBuf {
    let s = subject_dirs()[0].clone();
    let mut sessions: Vec<PathBuf> = std::fs::read_dir(&s)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    sessions.sort();
    let dir = std::fs::read_dir(&sessions[0])
        .unwrap()
        .map(|e| e.unwrap().path())
        // make_series.py: `S03_t2_tse_tra_2mm`; `neurofed sample` (without the shared material): `S02_T2`.
        .find(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            name.contains("t2_tse") || name.ends_with("_T2")
        })
        .expect("a T2 series");
    dir
}

fn add_cards(node: &Node, study: StudyId) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cards");
    for f in ["mr-natures.toml", "mr-quality.toml"] {
        let text = std::fs::read_to_string(root.join(f)).unwrap();
        let card = dicom::parse_card(&text).unwrap();
        node.catalog.add_card(study, card, &text).unwrap();
    }
}

/// Import `paths` into `study` (created with the cards).
pub fn import(node: &Node, study: &str, paths: &[PathBuf]) -> StudyId {
    let (s, _) = node.catalog.ensure_study(study, None).unwrap();
    if node.catalog.cards(s.id).unwrap().is_empty() {
        add_cards(node, s.id);
    }
    let opts = ImportOptions {
        study: Some(study.to_string()),
        ..ImportOptions::default()
    };
    let summary = Importer::new(node).run(paths, &opts, &NoProgress).unwrap();
    assert!(
        summary.instances > 0 || summary.duplicates > 0,
        "{summary:?}"
    );
    s.id
}

/// Cheap password hashing for tests.
pub fn access(node: &Node) -> Access<'_> {
    Access::with_password_cost(&node.catalog, PasswordCost::INSECURE_FAST)
}

/// Create `name` with `role` and return an API token for it.
pub fn user(node: &Node, name: &str, role: Role) -> String {
    let a = access(node);
    a.users()
        .add(
            &Principal::Operator,
            NewUser::new(name, role),
            PASSWORD,
            now(),
        )
        .unwrap();
    a.tokens()
        .create(&Principal::Operator, name, "tests", None, now())
        .unwrap()
        .0
}

/// Grant `rights` on `study` to `name` (operator), optionally limited.
pub fn grant(
    node: &Node,
    name: &str,
    study: StudyId,
    rights: &str,
    centers: Option<Vec<CenterId>>,
) {
    access(node)
        .rights()
        .grant(
            &Principal::Operator,
            name,
            study,
            Grant {
                rights: rights.parse().unwrap(),
                until: None,
                centers,
            },
            now(),
        )
        .unwrap();
}

pub fn now() -> u64 {
    node::now()
}

fn state(node: Node, uploads: &Path, max_upload: u64) -> AppState {
    AppState::with_config(
        Arc::new(node),
        WebConfig {
            max_upload_bytes: max_upload,
            upload_dir: uploads.to_path_buf(),
            password_cost: PasswordCost::INSECURE_FAST,
            secure_cookie: false,
            cors_origins: vec!["https://viewer.example.org".into()],
            limits: web::HttpLimits::default(),
        },
    )
    .unwrap()
}

fn new_node(dir: &Path) -> Node {
    Home::new(dir.join("home"))
        .init("Rennes Neurinfo", Some(LINKAGE_KEY))
        .unwrap()
}

/// The accounts of the rights matrix.
pub const MATRIX_USERS: &[&str] = &[
    "admin",
    "nobody",
    "seer",
    "loader",
    "expired",
    "centered",
    "elsewhere",
    "signer",
    "unsigned",
];

/// The corpus in three studies: `closed` (subject 1, private), `public` (subject 2, public),
/// `agreement` (subject 3, with a data-use agreement); one account per matrix row.
#[derive(Debug)]
pub struct Shared {
    _dir: tempfile::TempDir,
    _uploads: tempfile::TempDir,
    pub state: AppState,
    pub closed: StudyId,
    pub public: StudyId,
    pub dua: StudyId,
    pub center: CenterId,
    tokens: HashMap<String, String>,
    pub datasets: HashMap<StudyId, Vec<DatasetId>>,
}

impl Shared {
    pub fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }

    pub fn node(&self) -> &Node {
        &self.state.node
    }

    /// A dataset of `study` (one with a NIfTI expression).
    pub fn dataset(&self, study: StudyId) -> DatasetId {
        self.datasets[&study][0]
    }
}

pub fn shared() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let node = new_node(dir.path());
        let subjects = subject_dirs();
        let closed = import(&node, "closed", &subjects[0..1]);
        let public = import(&node, "public", &subjects[1..2]);
        let dua = import(&node, "agreement", &subjects[2..3]);
        let mut st = node.catalog.study(public).unwrap().unwrap();
        st.public = true;
        node.catalog.update_study(&st).unwrap();
        let center = node.catalog.node_center().unwrap().id;
        let a = access(&node);
        let agreement = a
            .agreements()
            .set(&Principal::Operator, dua, "Cite the consortium.", now())
            .unwrap();
        let mut tokens = HashMap::new();
        for &u in MATRIX_USERS {
            let role = if u == "admin" {
                Role::Admin
            } else {
                Role::User
            };
            tokens.insert(u.to_string(), user(&node, u, role));
        }
        grant(&node, "seer", closed, "see", None);
        grant(&node, "loader", closed, "see,download", None);
        grant(
            &node,
            "centered",
            closed,
            "see,download",
            Some(vec![center]),
        );
        grant(
            &node,
            "elsewhere",
            closed,
            "see,download",
            Some(vec![CenterId::new()]),
        );
        grant(&node, "signer", dua, "see,download", None);
        grant(&node, "unsigned", dua, "see,download", None);
        // Valid when granted a year ago, over since.
        let year = 365 * 86_400;
        access(&node)
            .rights()
            .grant(
                &Principal::Operator,
                "expired",
                closed,
                Grant {
                    rights: "see,download".parse().unwrap(),
                    until: Some(node::Date::from_unix(now() - year / 2)),
                    centers: None,
                },
                now() - year,
            )
            .unwrap();
        let signer = a.users().require("signer").unwrap();
        a.agreements()
            .accept(&Principal::User(signer), dua, agreement.version, now())
            .unwrap();
        // Per study, datasets with a NIfTI expression first.
        let mut rows = node.catalog.dataset_rows().unwrap();
        rows.sort_by_key(|r| (r.dataset.nifti.is_none(), r.dataset.id));
        let mut datasets: HashMap<StudyId, Vec<DatasetId>> = HashMap::new();
        for r in rows {
            datasets.entry(r.study.id).or_default().push(r.dataset.id);
        }
        assert_eq!(datasets.len(), 3);
        let state = state(node, uploads.path(), web::DEFAULT_MAX_UPLOAD_BYTES);
        Shared {
            _dir: dir,
            _uploads: uploads,
            state,
            closed,
            public,
            dua,
            center,
            tokens,
            datasets,
        }
    })
}

/// A private node: study `small` holding one 25-instance series (unless `empty`), an `admin`.
#[derive(Debug)]
pub struct Small {
    _dir: tempfile::TempDir,
    pub uploads: tempfile::TempDir,
    pub state: AppState,
    pub study: Option<StudyId>,
    pub admin: String,
}

impl Small {
    pub fn new(empty: bool) -> Small {
        Self::with_upload_limit(empty, web::DEFAULT_MAX_UPLOAD_BYTES)
    }

    pub fn with_upload_limit(empty: bool, limit: u64) -> Small {
        let dir = tempfile::tempdir().unwrap();
        let uploads = tempfile::tempdir().unwrap();
        let node = new_node(dir.path());
        let study = (!empty).then(|| import(&node, "small", &[small_series()]));
        let admin = user(&node, "admin", Role::Admin);
        let state = state(node, uploads.path(), limit);
        Small {
            _dir: dir,
            uploads,
            state,
            study,
            admin,
        }
    }

    pub fn node(&self) -> &Node {
        &self.state.node
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{e}: status {} body {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Assert an error answer with this status and code, in the JSON error shape.
    pub fn assert_error(&self, status: StatusCode, code: &str) -> String {
        let v = self.json();
        assert_eq!(self.status, status, "{v}");
        assert_eq!(v["error"]["code"], code, "{v}");
        let msg = v["error"]["message"]
            .as_str()
            .expect("a message")
            .to_string();
        assert!(!msg.is_empty());
        msg
    }
}

pub async fn send(state: &AppState, req: Request<Body>) -> Resp {
    let resp = web::app(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

pub fn request(method: &str, uri: &str, token: Option<&str>) -> axum::http::request::Builder {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b
}

pub async fn get(state: &AppState, uri: &str, token: Option<&str>) -> Resp {
    send(
        state,
        request("GET", uri, token).body(Body::empty()).unwrap(),
    )
    .await
}

pub async fn json(
    state: &AppState,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Value,
) -> Resp {
    send(
        state,
        request(method, uri, token)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}
