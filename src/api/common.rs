//! Small pieces every resource module uses: ids in paths, pagination and
//! list responses.

use uuid::Uuid;

use crate::api::error::{ApiError, FieldProblem};
use crate::domain::Region;
use crate::service::PageRequest;

/// A UUID from the path; anything else names no resource (404). Parsed
/// before anything is claimed or stored.
pub fn path_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found())
}

/// `?limit=` (1–500, default 50) and `?cursor=` (from the previous page).
pub fn page(limit: Option<&str>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    let limit = match limit {
        None => 50,
        Some(text) => match text.parse::<u64>() {
            Ok(n) if (1..=500).contains(&n) => n,
            _ => {
                return Err(query_problem(
                    "limit",
                    "must be a whole number from 1 to 500",
                ))
            }
        },
    };
    let after = match cursor {
        None | Some("") => None,
        Some(text) => Some(
            Uuid::parse_str(text)
                .map_err(|_| query_problem("cursor", "is not a cursor of this list"))?,
        ),
    };
    Ok(PageRequest { limit, after })
}

/// A region in a path: one that is not a region code is not found.
pub fn path_region(region: &str) -> Result<Region, ApiError> {
    Region::parse(region).map_err(|_| ApiError::not_found())
}

/// A 422 naming a query parameter.
pub fn query_problem(field: &str, message: &str) -> ApiError {
    ApiError::validation(vec![FieldProblem {
        field: field.into(),
        message: message.into(),
    }])
}

/// Declares the list response of a view type: `{items, next_cursor}`, built
/// from a page of service items.
#[macro_export]
macro_rules! list_of {
    ($name:ident, $view:ty, $item:ty) => {
        #[doc = concat!("A page of ", stringify!($item), "s.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$view>,
            /// Pass as `?cursor=` for the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<$crate::service::Page<$item>> for $name {
            fn from(page: $crate::service::Page<$item>) -> Self {
                $name {
                    items: page.items.into_iter().map(<$view>::from).collect(),
                    next_cursor: page.next_cursor,
                }
            }
        }
    };
}
