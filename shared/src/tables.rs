//! The seven tables, listed once: how the template names each, the environment variable a
//! function reads its name from, and its name when that variable is unset (`make dev`). The
//! configuration, the deployment manifest (`crate::deploy`), `make gen`, the tests and the
//! scripts all read this list.

/// One table of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableName {
    Products,
    Users,
    Limits,
    Sessions,
    Tokens,
    Idempotency,
    Outbox,
}

impl TableName {
    /// Every table, in the template's order.
    pub const ALL: [TableName; 7] = [
        Self::Products,
        Self::Users,
        Self::Limits,
        Self::Sessions,
        Self::Tokens,
        Self::Idempotency,
        Self::Outbox,
    ];

    /// Its resource's logical id in `template.yaml`.
    pub const fn logical_id(self) -> &'static str {
        match self {
            Self::Products => "ProductsTable",
            Self::Users => "UsersTable",
            Self::Limits => "AuthLimitsTable",
            Self::Sessions => "SessionsTable",
            Self::Tokens => "TokensTable",
            Self::Idempotency => "IdempotencyTable",
            Self::Outbox => "OutboxTable",
        }
    }

    /// The environment variable that holds its deployed name.
    pub const fn variable(self) -> &'static str {
        match self {
            Self::Products => "PRODUCTS_TABLE",
            Self::Users => "USERS_TABLE",
            Self::Limits => "LIMITS_TABLE",
            Self::Sessions => "SESSIONS_TABLE",
            Self::Tokens => "TOKENS_TABLE",
            Self::Idempotency => "IDEMPOTENCY_TABLE",
            Self::Outbox => "OUTBOX_TABLE",
        }
    }

    /// Its name when the variable is unset: the local stack's.
    pub const fn local_name(self) -> &'static str {
        match self {
            Self::Products => "products",
            Self::Users => "users",
            Self::Limits => "auth-limits",
            Self::Sessions => "sessions",
            Self::Tokens => "tokens",
            Self::Idempotency => "idempotency",
            Self::Outbox => "outbox",
        }
    }

    /// The table whose name `variable` holds.
    pub fn by_variable(variable: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|table| table.variable() == variable)
    }
}

/// The deployed name of every table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames([String; 7]);

impl TableNames {
    /// Each table's name as `name_of` gives it.
    pub fn from_fn(mut name_of: impl FnMut(TableName) -> String) -> Self {
        Self(TableName::ALL.map(&mut name_of))
    }

    /// The name `table` is deployed under.
    pub fn get(&self, table: TableName) -> &str {
        let index = TableName::ALL
            .iter()
            .position(|known| *known == table)
            .unwrap_or_default();
        &self.0[index]
    }

    /// The name of the table the environment variable `variable` (`PRODUCTS_TABLE`, ...) names.
    pub fn by_variable(&self, variable: &str) -> Option<&str> {
        TableName::by_variable(variable).map(|table| self.get(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_its_own_variable_id_and_local_name() {
        let mut seen = std::collections::HashSet::new();
        for table in TableName::ALL {
            assert!(seen.insert(table.variable()), "{table:?}");
            assert!(seen.insert(table.logical_id()), "{table:?}");
            assert!(seen.insert(table.local_name()), "{table:?}");
            assert_eq!(TableName::by_variable(table.variable()), Some(table));
        }
    }

    #[test]
    fn names_are_found_by_table_and_by_variable() {
        let names = TableNames::from_fn(|table| format!("t-{}", table.local_name()));
        assert_eq!(names.get(TableName::Limits), "t-auth-limits");
        assert_eq!(names.by_variable("OUTBOX_TABLE"), Some("t-outbox"));
        assert_eq!(names.by_variable("NOPE"), None);
    }
}
