//! A blocking client of a running node's API, for the CLI's commands that go through the node
//! (`neurofed search --federated`, `fetch`, `consortium push`).
//!
//! It sends what the API takes, as the API takes it: search parameters are passed as typed, so
//! the one parser (`node::parse_filter`, `parse_facet`, `parse_sort`, on the server) judges
//! them, and its answers are read into the API's own types ([`SearchBody`], [`FederatedBody`],
//! [`FetchedBody`]). A refusal comes back as [`ClientError::Api`] with the server's code and
//! message (`{"error": {"code", "message"}}`), never as a bare status code.
//!
//! `fetch` writes each file beside its destination, checks it against its content id, then
//! renames it; a file path from the server that would leave the output folder is refused.

mod upload;
pub use upload::{NoUploadProgress, UploadProgress, UploadReport, UploadStage};

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use protocol::ContentId;
use serde::de::DeserializeOwned;

use crate::api::federation::FetchedBody;
use crate::api::results::{FederatedBody, SearchBody};

/// Why a call to the node failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Nothing answers at the address.
    #[error("cannot reach {node}: {detail} (is `neurofed serve` running?)")]
    Unreachable {
        /// The node's URL.
        node: String,
        /// The transport error.
        detail: String,
    },
    /// The node refused, and said why.
    #[error("{node} answered HTTP {status} {code}: {message}")]
    Api {
        /// The node's URL.
        node: String,
        /// HTTP status.
        status: u16,
        /// The API's error code (`unauthenticated`, `invalid_query`, ...).
        code: String,
        /// Its message.
        message: String,
    },
    /// The answer is not what the API documents.
    #[error("{node}: unexpected answer: {detail}")]
    BadAnswer {
        /// The node's URL.
        node: String,
        /// What is wrong.
        detail: String,
    },
    /// A fetched file's path would leave the output folder.
    #[error("refusing file path {0:?} from the node")]
    UnsafePath(String),
    /// A fetched file does not hash to its content id.
    #[error("{path}: the node sent {bytes} bytes that do not hash to {content}")]
    Corrupt {
        /// The file's relative path.
        path: String,
        /// Bytes received.
        bytes: u64,
        /// The content id expected.
        content: ContentId,
    },
    /// Writing a fetched file.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// What `neurofed search` asks: the parameters of `GET /api/v1/search`, as typed.
#[derive(Debug, Clone, Default)]
pub struct SearchParams {
    /// `q`.
    pub text: Option<String>,
    /// `filter`, repeated.
    pub filters: Vec<String>,
    /// `facet`, repeated.
    pub facets: Vec<String>,
    /// `sort` (absent: the node's default).
    pub sort: Option<String>,
    /// `offset`.
    pub offset: u32,
    /// `limit`.
    pub limit: u32,
    /// `scope=federated` rather than `local`.
    pub federated: bool,
}

impl SearchParams {
    /// The query string's pairs, in order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![(
            "scope",
            if self.federated { "federated" } else { "local" }.to_string(),
        )];
        if let Some(t) = &self.text {
            p.push(("q", t.clone()));
        }
        p.extend(self.filters.iter().map(|f| ("filter", f.clone())));
        p.extend(self.facets.iter().map(|f| ("facet", f.clone())));
        if let Some(s) = &self.sort {
            p.push(("sort", s.clone()));
        }
        p.push(("offset", self.offset.to_string()));
        p.push(("limit", self.limit.to_string()));
        p
    }
}

/// A search answer: local or federated (which has every key of a local one, and more).
#[derive(Debug)]
pub enum SearchAnswer {
    /// `scope=local`.
    Local(SearchBody),
    /// `scope=federated`.
    Federated(FederatedBody),
}

/// What `consortium push` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pushed {
    /// `roster`, `revocation_list` or `revocation`.
    pub kind: String,
    /// Whether the node applied it (else it held it or a newer one).
    pub applied: bool,
}

/// What `fetch` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FetchReport {
    /// The dataset.
    pub content_id: String,
    /// The member that owns it.
    pub origin: String,
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// The output folder.
    pub out: PathBuf,
}

/// A relative path inside the output folder (no `..`, no root).
fn safe_relative(p: &str) -> Option<PathBuf> {
    let path = Path::new(p);
    let normal = path.components().all(|c| matches!(c, Component::Normal(_)));
    (normal && path.components().next().is_some()).then(|| path.to_path_buf())
}

/// The running node's API and the caller's token.
#[derive(Debug, Clone)]
pub struct ApiClient {
    base: String,
    token: Option<String>,
}

type Request<B> = ureq::RequestBuilder<B>;

impl ApiClient {
    /// `node`: e.g. `http://127.0.0.1:8080`.
    pub fn new(node: &str, token: Option<String>) -> Self {
        ApiClient {
            base: node.trim_end_matches('/').to_string(),
            token,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth<B>(&self, req: Request<B>) -> Request<B> {
        match &self.token {
            Some(t) => req.header("Authorization", &format!("Bearer {t}")),
            None => req,
        }
    }

    fn unreachable(&self, e: ureq::Error) -> ClientError {
        ClientError::Unreachable {
            node: self.base.clone(),
            detail: e.to_string(),
        }
    }

    /// The body of a 2xx answer, or the server's explanation of any other.
    fn read<T: DeserializeOwned>(
        &self,
        resp: ureq::http::Response<ureq::Body>,
    ) -> Result<T, ClientError> {
        let status = resp.status().as_u16();
        let bad = |detail: String| ClientError::BadAnswer {
            node: self.base.clone(),
            detail,
        };
        let text = resp
            .into_body()
            .read_to_string()
            .map_err(|e| bad(e.to_string()))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|e| bad(format!("{e}")));
        }
        #[derive(serde::Deserialize)]
        struct Detail {
            code: String,
            message: String,
        }
        #[derive(serde::Deserialize)]
        struct Body {
            error: Detail,
        }
        let (code, message) = match serde_json::from_str::<Body>(&text) {
            Ok(b) => (b.error.code, b.error.message),
            Err(_) => (
                "http_error".to_string(),
                text.chars().take(200).collect::<String>(),
            ),
        };
        Err(ClientError::Api {
            node: self.base.clone(),
            status,
            code,
            message,
        })
    }

    /// `GET /api/v1/search` with `params`.
    pub fn search(&self, params: &SearchParams) -> Result<SearchAnswer, ClientError> {
        let mut req = ureq::get(&self.url("/api/v1/search"));
        for (k, v) in params.pairs() {
            req = req.query(k, v);
        }
        let resp = self
            .auth(req)
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .map_err(|e| self.unreachable(e))?;
        Ok(if params.federated {
            SearchAnswer::Federated(self.read(resp)?)
        } else {
            SearchAnswer::Local(self.read(resp)?)
        })
    }

    /// `POST /api/v1/consortium/push` of a signed document's bytes.
    pub fn push(&self, document: &[u8]) -> Result<Pushed, ClientError> {
        let req = ureq::post(&self.url("/api/v1/consortium/push"))
            .header("Content-Type", "application/cbor");
        let resp = self
            .auth(req)
            .config()
            .http_status_as_error(false)
            .build()
            .send(document)
            .map_err(|e| self.unreachable(e))?;
        self.read(resp)
    }

    /// Have the node fetch the dataset `content` from the consortium (`POST /api/v1/fetch`),
    /// then download its files into `out`, each verified against its content id. `meter` is
    /// told the bytes to download, then each chunk written.
    pub fn fetch(
        &self,
        content: ContentId,
        out: &Path,
        meter: &dyn node::Meter,
    ) -> Result<FetchReport, ClientError> {
        let req = ureq::post(&self.url("/api/v1/fetch"));
        let resp = self
            .auth(req)
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(serde_json::json!({ "content_id": content.to_hex() }))
            .map_err(|e| self.unreachable(e))?;
        let fetched: FetchedBody = self.read(resp)?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ClientError::Io { path, source }
        };
        std::fs::create_dir_all(out).map_err(io(out))?;
        meter.total(fetched.files.iter().map(|f| f.size).sum());
        let mut total = 0u64;
        for f in &fetched.files {
            let rel =
                safe_relative(&f.path).ok_or_else(|| ClientError::UnsafePath(f.path.clone()))?;
            let expected: ContentId = f.content.parse().map_err(|_| ClientError::BadAnswer {
                node: self.base.clone(),
                detail: format!("{:?} is not a content id", f.content),
            })?;
            let dest = out.join(rel);
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            let req = ureq::get(&self.url(&format!("/api/v1/blobs/{}", f.content)))
                .query("dataset", content.to_hex());
            let resp = self
                .auth(req)
                .config()
                .http_status_as_error(false)
                .build()
                .call()
                .map_err(|e| self.unreachable(e))?;
            if !resp.status().is_success() {
                return Err(self.read::<serde_json::Value>(resp).err().unwrap_or(
                    ClientError::BadAnswer {
                        node: self.base.clone(),
                        detail: "an error without a body".into(),
                    },
                ));
            }
            let mut reader = resp.into_body().into_reader();
            let tmp = dest.with_extension("part");
            let mut file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            let mut hasher = blake3::Hasher::new();
            let mut buf = vec![0u8; 256 * 1024];
            let mut n = 0u64;
            loop {
                let k = reader.read(&mut buf).map_err(io(&dest))?;
                if k == 0 {
                    break;
                }
                hasher.update(&buf[..k]);
                file.write_all(&buf[..k]).map_err(io(&tmp))?;
                n += k as u64;
                meter.advance(k as u64);
            }
            file.sync_all().map_err(io(&tmp))?;
            drop(file);
            if n != f.size || ContentId::from_hasher(&hasher) != expected {
                let _ = std::fs::remove_file(&tmp);
                return Err(ClientError::Corrupt {
                    path: f.path.clone(),
                    bytes: n,
                    content: expected,
                });
            }
            std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
            total += n;
        }
        Ok(FetchReport {
            content_id: fetched.content_id,
            origin: fetched.origin,
            files: fetched.files.len(),
            bytes: total,
            out: out.to_path_buf(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn search_parameters_go_as_typed() {
        let p = SearchParams {
            text: Some("t1 mprage".into()),
            filters: vec!["tr:[1000 TO 2500]".into(), "-nature:T1w".into()],
            facets: vec!["center".into()],
            sort: None,
            offset: 0,
            limit: 5,
            federated: true,
        };
        let pairs = p.pairs();
        assert_eq!(pairs[0], ("scope", "federated".to_string()));
        assert!(pairs.contains(&("filter", "tr:[1000 TO 2500]".to_string())));
        assert!(pairs.contains(&("filter", "-nature:T1w".to_string())));
        // No sort unless asked: the node's default applies.
        assert!(!pairs.iter().any(|(k, _)| *k == "sort"));
    }

    #[test]
    fn an_unreachable_node_says_so() {
        // Port 9 (discard) on loopback: nothing listens there in the tests.
        let c = ApiClient::new("http://127.0.0.1:9/", None);
        let e = c.search(&SearchParams::default()).err();
        assert!(matches!(e, Some(ClientError::Unreachable { .. })), "{e:?}");
    }
}
