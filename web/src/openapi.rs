//! The OpenAPI document of `/api/v1`, derived from the handlers' `#[utoipa::path]` attributes and
//! served at `/api/v1/openapi.json`. A test checks that it lists exactly the routes of
//! [`crate::app`] (see [`crate::route_table`]).

use std::sync::OnceLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi};

use crate::api;

/// The API's OpenAPI description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "neurofed node API",
        description = "JSON API of one neurofed node: search, studies, datasets and downloads, import, clinical scores, accounts, rights, audit. Every error is `{\"error\": {\"code\", \"message\"}}`. Authenticate with `Authorization: Bearer nft_…` (API token) or the `neurofed_session` cookie from `POST /api/v1/login`."
    ),
    paths(
        api::health,
        openapi_json,
        api::stats,
        api::search::search,
        api::search::suggest,
        api::studies::list,
        api::studies::tree,
        api::entities::subject,
        api::entities::examination,
        api::datasets::detail,
        api::download::download,
        api::download::download_selection,
        api::import::import,
        api::upload::keys,
        api::upload::missing,
        api::upload::put_blob,
        api::upload::commit,
        api::accounts::login,
        api::accounts::logout,
        api::accounts::me,
        api::accounts::change_password,
        api::accounts::list_users,
        api::accounts::create_user,
        api::accounts::create_token,
        api::accounts::request_account,
        api::cards::list,
        api::cards::add,
        api::cards::apply,
        api::rights::list,
        api::rights::get,
        api::rights::put,
        api::rights::delete,
        api::rights::submit,
        api::rights::pending,
        api::rights::approve,
        api::rights::refuse,
        api::rights::agreement,
        api::rights::set_agreement,
        api::rights::accept,
        api::scores::list_instruments,
        api::scores::set_instrument,
        api::scores::record,
        api::scores::scores,
        api::reports::get,
        api::reports::subscribe,
        api::reports::unsubscribe,
        api::quarantine::list,
        api::quarantine::release,
        api::quarantine::delete,
        api::audit::list,
        api::federation::consortium,
        api::federation::push,
        api::federation::fetch,
        api::federation::blob,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = []))
)]
pub(crate) struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// Raw bytes in a request or response body (a zip, a DICOM file, a blob, a CBOR document):
/// `{"type": "string", "format": "binary"}`, inlined where it is used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// The document as JSON text (built once).
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

/// This document (no authentication).
#[utoipa::path(get, path = "/api/v1/openapi.json", operation_id = "openapi", tag = "node",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub(crate) async fn openapi_json() -> Response {
    ([(CONTENT_TYPE, "application/json")], document()).into_response()
}
