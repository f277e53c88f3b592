//! Prints the OpenAPI document of `/api/v1`, exactly what `GET /api/v1/openapi.json` serves,
//! without starting anything: `cargo run -q -p neurofed-web --example openapi > openapi.json`.
//! `scripts/check-openapi` validates it and regenerates the Python client from it.

fn main() {
    println!("{}", web::openapi_document());
}
