//! Domain types as column values: each is stored as its text spelling and
//! read back through its parser, so a table never holds a region or a state
//! the domain cannot name.

use crate::domain::notice::{NoticeKind, NoticeStatus, ObjectionStatus};
use crate::domain::review::{AdmissionRequestStatus, ReviewLevel};
use crate::domain::{
    ApplicationStatus, ClaimStatus, CompanyType, OrgKind, RedemptionStatus, Region, Role,
    VoucherState,
};

/// Implements SeaORM's value traits for a type with `FromStr` and `Display`.
macro_rules! text_column {
    ($($ty:ty),+ $(,)?) => {$(
        impl From<$ty> for sea_orm::Value {
            fn from(value: $ty) -> Self {
                value.to_string().into()
            }
        }

        impl sea_orm::TryGetable for $ty {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                idx: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                let text = String::try_get_by(res, idx)?;
                text.parse().map_err(|_| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "`{text}` is not a {}",
                        stringify!($ty)
                    )))
                })
            }
        }

        impl sea_orm::sea_query::ValueType for $ty {
            fn try_from(value: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let text = <String as sea_orm::sea_query::ValueType>::try_from(value)?;
                text.parse().map_err(|_| sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::String(sea_orm::sea_query::StringLen::None)
            }
        }

        impl sea_orm::sea_query::Nullable for $ty {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }

        impl sea_orm::TryFromU64 for $ty {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($ty)))
            }
        }
    )+};
}

text_column!(
    Region,
    Role,
    OrgKind,
    CompanyType,
    VoucherState,
    RedemptionStatus,
    ApplicationStatus,
    ClaimStatus,
    ReviewLevel,
    AdmissionRequestStatus,
    NoticeKind,
    NoticeStatus,
    ObjectionStatus,
);
