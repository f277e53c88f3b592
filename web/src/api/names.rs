//! Names in requests: user names from paths and lists of right names, parsed one way for the
//! account and rights routes alike.

use node::RightSet;

use crate::error::{ApiError, ApiResult};

/// A user name from a path: validated like account names (case does not matter); anything else
/// is `400 invalid_id`.
pub(crate) fn user_name(s: &str) -> ApiResult<String> {
    node::normalize_name(s).map_err(|e| ApiError::invalid_id(e.to_string()))
}

/// Parse a list of right names.
pub(crate) fn right_set(names: &[String]) -> ApiResult<RightSet> {
    let set: RightSet = names.join(",").parse()?;
    Ok(set)
}
