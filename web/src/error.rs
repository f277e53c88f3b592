//! [`ApiError`]: every error the API answers, as `{"error": {"code", "message"}}` with its status.
//!
//! Messages shown to clients say what was wrong with *their* request (a field name, a limit, a
//! refused right). Internal failures (storage, I/O, a panicked task) are logged with `tracing` and
//! answered as `500 internal` with a fixed message: no path, table or OS error leaves the server.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use node::AccessError;
use node::AuditError;
use node::CatalogError;
use node::IndexError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`invalid_id`, `forbidden`, ...).
    pub code: &'static str,
    /// Human-readable message, safe to show.
    pub message: String,
    /// Seconds to wait before asking again (a `Retry-After` header; 429 answers).
    pub retry_after: Option<u64>,
}

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable machine-readable code: `bad_request`, `invalid_id`, `invalid_query`,
    /// `unauthenticated`, `forbidden`, `not_found`, `method_not_allowed`, `conflict`,
    /// `payload_too_large`, `request_timeout`, `too_many_requests` (with `Retry-After`),
    /// `unsupported_media_type`, `internal`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 400 `invalid_id`.
    pub fn invalid_id(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_id", message)
    }

    /// 400 `invalid_query`.
    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }

    /// 401 `unauthenticated`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 403 `forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409 `conflict`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413 `payload_too_large`.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 500 `internal`: `detail` is logged, never sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error (details are in the server log)",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut r = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        r
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        use node::Denied;
        match e {
            AccessError::Denied(Denied::UnknownStudy(s)) => {
                ApiError::not_found(format!("no study {s}"))
            }
            AccessError::Denied(d) => ApiError::forbidden(d.to_string()),
            AccessError::UnknownUser(_)
            | AccessError::UnknownStudy(_)
            | AccessError::UnknownCenter(_)
            | AccessError::UnknownToken(_)
            | AccessError::NoSuchRight { .. }
            | AccessError::UnknownRequest(_) => ApiError::not_found(e.to_string()),
            AccessError::UserExists(_)
            | AccessError::AlreadyDecided { .. }
            | AccessError::AgreementMismatch { .. } => ApiError::conflict(e.to_string()),
            AccessError::InvalidName { .. }
            | AccessError::WeakPassword(_)
            | AccessError::Invalid(_) => ApiError::bad_request(e.to_string()),
            AccessError::BadCredentials | AccessError::BadToken(_) => {
                ApiError::unauthenticated(e.to_string())
            }
            AccessError::AccountDisabled(_) => ApiError::forbidden(e.to_string()),
            AccessError::Catalog(c) => c.into(),
            AccessError::Hash(_)
            | AccessError::Random(_)
            | AccessError::Corrupt { .. }
            | AccessError::Db(_)
            | AccessError::Audit(_) => ApiError::internal(e),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound(_) => ApiError::not_found(e.to_string()),
            CatalogError::Invalid(_) => ApiError::bad_request(e.to_string()),
            CatalogError::Conflict(_) => ApiError::conflict(e.to_string()),
            _ => ApiError::internal(e),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        ApiError::internal(e)
    }
}

impl From<IndexError> for ApiError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Query(m) => ApiError::invalid_query(m),
            IndexError::Catalog(c) => c.into(),
            IndexError::Engine(_) => ApiError::internal(e),
        }
    }
}

impl From<node::ExportError> for ApiError {
    fn from(e: node::ExportError) -> Self {
        match e {
            // What the caller asked cannot be a BIDS dataset (several studies).
            node::ExportError::Bids(_) => ApiError::bad_request(e.to_string()),
            e => ApiError::internal(e),
        }
    }
}

impl From<node::StoreError> for ApiError {
    fn from(e: node::StoreError) -> Self {
        ApiError::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let e = ApiError::internal("/secret/path/catalog.redb: permission denied");
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("secret"));
        let e: ApiError = CatalogError::Corrupt {
            what: "study 00".into(),
            detail: "bad cbor".into(),
        }
        .into();
        assert_eq!(e.code, "internal");
        assert!(!e.message.contains("cbor"));
    }

    #[test]
    fn access_errors_map_to_statuses() {
        let e: ApiError = AccessError::BadCredentials.into();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        let e: ApiError = AccessError::UserExists("bob".into()).into();
        assert_eq!(e.status, StatusCode::CONFLICT);
        let e: ApiError = AccessError::Invalid("no".into()).into();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }
}
