//! The OpenAPI document lists exactly the router's routes, with unique operation ids, a schema
//! for every body (binary ones as `format: binary`), and schemas that real answers match.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::fixture::{get, Small};

#[tokio::test]
async fn the_document_lists_exactly_the_routes() {
    let routes: BTreeSet<(String, String)> = web::route_table()
        .into_iter()
        .map(|(m, p)| (m.as_str().to_string(), p.to_string()))
        .collect();
    assert_eq!(
        routes.len(),
        web::route_table().len(),
        "no route declared twice"
    );
    let s = Small::new(true);
    let r = get(&s.state, "/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/json");
    let doc: Value = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if let Some(op) = item.get(method) {
                documented.insert((method.to_string(), path.clone()));
                assert!(
                    op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {path}"
                );
            }
        }
    }
    let missing: Vec<_> = routes.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(
        missing.is_empty(),
        "routes without documentation: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "documented routes that do not exist: {stale:?}"
    );
    // Every schema a path refers to is defined.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "undefined schema {name}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

fn document() -> Value {
    serde_json::from_str(web::openapi_document()).unwrap()
}

/// Every operation of the document, as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op.clone()));
        }
    }
    out
}

#[test]
fn operation_ids_are_unique_and_every_body_has_a_schema() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(ids.insert(id.clone()), "operationId {id} twice");
        for (status, resp) in op["responses"].as_object().unwrap() {
            for (ctype, content) in resp["content"].as_object().into_iter().flatten() {
                let schema = &content["schema"];
                assert!(
                    schema.is_object() && schema.as_object().is_some_and(|m| !m.is_empty()),
                    "{method} {path} {status} {ctype}: no schema"
                );
                if ctype == "application/json" && path != "/api/v1/openapi.json" {
                    // JSON answers are described, not free-form objects.
                    let named = schema.get("$ref").is_some()
                        || schema.get("anyOf").is_some()
                        || schema.get("properties").is_some();
                    assert!(named, "{method} {path} {status}: {schema}");
                }
            }
        }
        if let Some(body) = op.get("requestBody") {
            for (ctype, content) in body["content"].as_object().unwrap() {
                assert!(
                    content["schema"].is_object(),
                    "{method} {path} request {ctype}: no schema"
                );
            }
        }
    }
    assert_eq!(ids.len(), web::route_table().len());
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][name];
    assert!(s.is_object(), "no schema {name}");
    s
}

#[test]
fn search_answers_binary_bodies_and_cbor_are_typed() {
    let doc = document();
    let body = schema(&doc, "SearchBody");
    assert_eq!(body["properties"]["total"]["type"], "integer");
    assert_eq!(
        body["properties"]["hits"]["items"]["$ref"],
        "#/components/schemas/SearchHit"
    );
    assert!(body["required"]
        .as_array()
        .unwrap()
        .contains(&json!("pending_agreements")));
    let hit = schema(&doc, "SearchHit");
    for field in [
        "dataset",
        "study",
        "subject",
        "content",
        "has_nifti",
        "dims",
    ] {
        assert!(hit["properties"][field].is_object(), "SearchHit.{field}");
    }
    schema(&doc, "PendingAgreementBody");
    schema(&doc, "FederatedBody");

    let op = |path: &str, method: &str| doc["paths"][path][method].clone();
    let binary = json!({"type": "string", "format": "binary"});
    let download = op("/api/v1/datasets/{id}/download", "get");
    assert_eq!(
        download["responses"]["200"]["content"]["application/zip"]["schema"],
        binary
    );
    let blob = op("/api/v1/blobs/{id}", "get");
    assert_eq!(
        blob["responses"]["200"]["content"]["application/octet-stream"]["schema"],
        binary
    );
    let push = op("/api/v1/consortium/push", "post");
    assert_eq!(
        push["requestBody"]["content"]["application/cbor"]["schema"],
        binary
    );
    let import = op("/api/v1/import", "post");
    let content = import["requestBody"]["content"].as_object().unwrap();
    assert_eq!(content["application/zip"]["schema"], binary);
    assert!(content.contains_key("multipart/form-data"));
    assert_eq!(
        op("/api/v1/search", "get")["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/SearchAnswer"
    );
}

/// Checks `v` against `s`, a schema of `doc` (the subset utoipa writes: `$ref`, `type` (one or a
/// list, `null` included), `properties` (no undocumented key unless `additionalProperties`),
/// `required`, `items`, `additionalProperties`, `oneOf`/`anyOf`/`allOf`, `enum`). Returns what
/// does not match, with its JSON path.
fn conforms(doc: &Value, s: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], v, at);
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            conforms(doc, sub, v, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(any) = s.get(key).and_then(Value::as_array) {
            let ok: Vec<bool> = any
                .iter()
                .map(|x| conforms(doc, x, v, at).is_ok())
                .collect();
            let n = ok.iter().filter(|&&b| b).count();
            if n == 0 || (key == "oneOf" && n > 1) {
                return Err(format!("{at}: {n} of the {key} alternatives match {v}"));
            }
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} is not one of {e:?}"));
        }
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() {
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits = types
            .iter()
            .any(|&t| t == kind || (t == "number" && kind == "integer"));
        if !fits {
            return Err(format!("{at}: {v} is {kind}, the schema says {types:?}"));
        }
    }
    if let Value::Object(m) = v {
        let props = s.get("properties").and_then(Value::as_object);
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !m.contains_key(r) {
                return Err(format!("{at}: required key {r} is missing"));
            }
        }
        for (k, x) in m {
            let here = format!("{at}.{k}");
            match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
                (Some(p), _) => conforms(doc, p, x, &here)?,
                (None, Some(Value::Bool(false))) => return Err(format!("{here}: not allowed")),
                (None, Some(extra)) if extra.is_object() => conforms(doc, extra, x, &here)?,
                (None, _) if props.is_some() => {
                    return Err(format!("{here}: not in the documented properties"))
                }
                (None, _) => {}
            }
        }
    }
    if let (Value::Array(a), Some(items)) = (v, s.get("items")) {
        for (i, x) in a.iter().enumerate() {
            conforms(doc, items, x, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// The schema of `method path`'s `status` JSON answer.
fn answer_schema(doc: &Value, method: &str, path: &str, status: u16) -> Value {
    let s = doc["paths"][path][method]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"]
        .clone();
    assert!(s.is_object(), "{method} {path} {status}: undocumented");
    s
}

#[tokio::test]
async fn real_answers_match_their_documented_schemas() {
    let s = crate::fixture::shared();
    let doc = document();
    let ds = s.dataset(s.closed);
    let cases: Vec<(&str, String, &str)> = vec![
        ("admin", "/api/v1/health".into(), "/api/v1/health"),
        ("admin", "/api/v1/stats".into(), "/api/v1/stats"),
        (
            "admin",
            "/api/v1/search?facet=nature&facet=center&limit=50".into(),
            "/api/v1/search",
        ),
        (
            "unsigned",
            "/api/v1/search?facet=study".into(),
            "/api/v1/search",
        ),
        (
            "nobody",
            "/api/v1/suggest?prefix=t".into(),
            "/api/v1/suggest",
        ),
        ("centered", "/api/v1/studies".into(), "/api/v1/studies"),
        (
            "admin",
            format!("/api/v1/studies/{}", s.closed),
            "/api/v1/studies/{id}",
        ),
        (
            "admin",
            format!("/api/v1/datasets/{ds}"),
            "/api/v1/datasets/{id}",
        ),
        ("signer", "/api/v1/me".into(), "/api/v1/me"),
        ("admin", "/api/v1/users".into(), "/api/v1/users"),
        ("admin", "/api/v1/requests".into(), "/api/v1/requests"),
        (
            "admin",
            "/api/v1/studies/closed/rights".into(),
            "/api/v1/studies/{id}/rights",
        ),
        (
            "admin",
            "/api/v1/studies/closed/rights/seer".into(),
            "/api/v1/studies/{id}/rights/{user}",
        ),
        (
            "unsigned",
            "/api/v1/studies/agreement/agreement".into(),
            "/api/v1/studies/{id}/agreement",
        ),
        ("admin", "/api/v1/audit?limit=20".into(), "/api/v1/audit"),
    ];
    for (user, uri, path) in cases {
        let r = get(&s.state, &uri, Some(s.token(user))).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.json());
        let schema = answer_schema(&doc, "get", path, 200);
        if let Err(e) = conforms(&doc, &schema, &r.json(), "$") {
            panic!("{user} {uri}: {e}\n{}", r.json());
        }
    }
    // Errors too.
    for (uri, status) in [
        (
            format!("/api/v1/datasets/{}", protocol::id::DatasetId::new()),
            404,
        ),
        ("/api/v1/search?facet=colour".to_string(), 400),
    ] {
        let r = get(&s.state, &uri, Some(s.token("admin"))).await;
        assert_eq!(r.status.as_u16(), status);
        let path = if uri.contains("datasets") {
            "/api/v1/datasets/{id}"
        } else {
            "/api/v1/search"
        };
        let schema = answer_schema(&doc, "get", path, status);
        conforms(&doc, &schema, &r.json(), "$").unwrap();
    }
    // The checker itself refuses what does not match.
    let search = answer_schema(&doc, "get", "/api/v1/search", 200);
    let bad = json!({"total": "many", "hits": [], "facets": {}, "facet_other": {}, "pending_agreements": []});
    assert!(conforms(&doc, &schema(&doc, "SearchBody").clone(), &bad, "$").is_err());
    let extra = json!({"total": 1, "hits": [], "facets": {}, "facet_other": {}, "pending_agreements": [], "surprise": 1});
    assert!(conforms(&doc, &schema(&doc, "SearchBody").clone(), &extra, "$").is_err());
    assert!(conforms(&doc, &search, &json!({"total": 1}), "$").is_err());
}
