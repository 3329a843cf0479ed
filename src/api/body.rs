//! The JSON request body: size limit, content type, strict parsing with the
//! path of the field at fault, and a fingerprint for idempotency.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::Status;
use rocket::Request;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::api::error::{ApiError, FieldProblem};
use crate::domain::money::AMOUNT_ERROR;

/// A parsed JSON body. An empty body reads as `{}`.
#[derive(Debug)]
pub struct JsonBody<T> {
    pub value: T,
    /// SHA-256 (hex) of the method, the URI and the raw body.
    pub fingerprint: String,
}

/// The size over which bodies are refused.
const DEFAULT_LIMIT_KIB: u64 = 64;
/// The size over which an imported bank file is refused.
const BANK_FILE_LIMIT_MIB: u64 = 8;

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = ApiError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        match read(req, data).await {
            Ok(body) => data::Outcome::Success(body),
            Err(err) => data::Outcome::Error((err.status, err.stash(req))),
        }
    }
}

async fn read<T: DeserializeOwned>(
    req: &Request<'_>,
    data: Data<'_>,
) -> Result<JsonBody<T>, ApiError> {
    if let Some(ct) = req.content_type() {
        if !ct.is_json() {
            return Err(ApiError::new(
                Status::UnsupportedMediaType,
                "unsupported_media_type",
                "the body must be application/json",
            ));
        }
    }
    // A bank file comes whole in its JSON: its own, larger limit.
    let (key, default) = if req.uri().path().ends_with("/bank-files") {
        ("bank-file", BANK_FILE_LIMIT_MIB.mebibytes())
    } else {
        ("json", DEFAULT_LIMIT_KIB.kibibytes())
    };
    let limit = req.limits().get(key).unwrap_or(default);
    let capped = data
        .open(limit)
        .into_bytes()
        .await
        .map_err(|_| malformed("the body could not be read"))?;
    if !capped.is_complete() {
        return Err(ApiError::new(
            Status::PayloadTooLarge,
            "payload_too_large",
            format!("the body is over {limit}"),
        ));
    }
    let raw = capped.into_inner();
    let fingerprint = fingerprint(req, &raw);
    let text: &[u8] = if raw.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &raw
    };
    let value = parse(text)?;
    Ok(JsonBody { value, fingerprint })
}

/// Parses strictly; syntax errors are 400, wrong fields 422 naming the field.
pub fn parse<T: DeserializeOwned>(text: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return malformed(format!("the body is not valid JSON: {inner}"));
        }
        let message = strip_position(&inner.to_string());
        let field = if path == "." { String::new() } else { path };
        let amount = message.starts_with(AMOUNT_ERROR);
        let mut err = ApiError::validation(vec![FieldProblem { field, message }]);
        if amount {
            err.code = "invalid_amount";
        }
        err
    })?;
    de.end()
        .map_err(|e| malformed(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

fn malformed(detail: impl Into<String>) -> ApiError {
    ApiError::new(Status::BadRequest, "validation_failed", detail)
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// SHA-256 (hex) of the method, the URI and `body`.
pub fn fingerprint(req: &Request<'_>, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str().as_bytes());
    hash.update(b" ");
    hash.update(req.uri().to_string().as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}
