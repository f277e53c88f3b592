//! [`AppState`]: what every handler shares (the open node, the import lock, settings).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use node::Node;
use node::{Access, PasswordCost};

use crate::error::{ApiError, ApiResult};

/// Default largest upload accepted by `POST /import`: 4 GiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 4 << 30;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest `POST /import` body, in bytes (413 above).
    pub max_upload_bytes: u64,
    /// Where uploads are spooled while they import. Uploads hold PHI: this must be outside the
    /// node's home, which never holds anything identifying.
    pub upload_dir: PathBuf,
    /// Argon2 cost of passwords set through the API (tests use the cheapest).
    pub password_cost: PasswordCost,
    /// Mark the session cookie `Secure` (set when served behind HTTPS).
    pub secure_cookie: bool,
    /// Origins allowed by CORS (`[http] cors_origins` of `config.toml`; `*`: any).
    pub cors_origins: Vec<String>,
    /// Connection cap and timeouts of the server (`[http]` of `config.toml`).
    pub limits: crate::HttpLimits,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            upload_dir: std::env::temp_dir(),
            password_cost: PasswordCost::DEFAULT,
            secure_cookie: false,
            cors_origins: Vec::new(),
            limits: crate::HttpLimits::default(),
        }
    }
}

/// Why an [`AppState`] cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The upload folder is inside the node's home.
    #[error("the upload folder {upload} is inside the node's home {home}: uploads hold patient data and must be spooled elsewhere")]
    UploadDirInHome {
        /// Upload folder.
        upload: PathBuf,
        /// Home.
        home: PathBuf,
    },
}

/// Shared by every handler; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The open node.
    pub node: Arc<Node>,
    /// One import at a time: the importer owns the store's staging area while it runs.
    pub import_lock: Arc<tokio::sync::Mutex<()>>,
    /// Settings.
    pub config: Arc<WebConfig>,
    /// The node's federation, when it runs one (`neurofed serve --p2p`).
    pub federation: Option<federation::Client>,
    /// Login backoff and account-request limits (shared by every handler).
    pub(crate) throttles: Arc<crate::throttle::Throttles>,
}

impl AppState {
    /// State for `node` with default settings.
    pub fn new(node: Arc<Node>) -> Result<Self, StateError> {
        Self::with_config(node, WebConfig::default())
    }

    /// State for `node` with `config`; refuses an upload folder inside the home.
    pub fn with_config(node: Arc<Node>, config: WebConfig) -> Result<Self, StateError> {
        if is_inside(&config.upload_dir, node.home.root()) {
            return Err(StateError::UploadDirInHome {
                upload: config.upload_dir.clone(),
                home: node.home.root().to_path_buf(),
            });
        }
        Ok(AppState {
            node,
            import_lock: Arc::new(tokio::sync::Mutex::new(())),
            config: Arc::new(config),
            federation: None,
            throttles: Arc::default(),
        })
    }

    /// This state, answering the consortium routes through `client`.
    pub fn with_federation(mut self, client: federation::Client) -> Self {
        self.federation = Some(client);
        self
    }

    /// Access control over the node's catalog, hashing new passwords at the configured cost.
    pub fn access(&self) -> Access<'_> {
        Access::with_password_cost(&self.node.catalog, self.config.password_cost)
    }
}

/// Whether `inner` is `outer` or below it (after resolving symlinks where the paths exist).
fn is_inside(inner: &Path, outer: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(inner).starts_with(canon(outer))
}

/// Run blocking work (catalog, store, index, argon2) off the async workers.
pub(crate) async fn blocking<T, F>(f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> ApiResult<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(ApiError::internal(format!("blocking task failed: {e}"))),
    }
}

pub(crate) use node::now;
