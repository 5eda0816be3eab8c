//! The input files and their columns, written once: the config's column
//! mapping, the readers' required and numeric columns and the checks all
//! read them here.

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (identifiers, names).
    Text,
    /// An ISO date.
    Date,
    /// A number (Polars may parse it).
    Number,
}

/// One column of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Its default name (a config `[columns.FILE]` table maps others).
    pub name: &'static str,
    /// How it is read.
    pub kind: Kind,
    /// Whether the file must have it.
    pub required: bool,
}

/// One input file: `NAME.csv` or `NAME.parquet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSchema {
    /// Its name without extension.
    pub name: &'static str,
    /// Its columns, the required ones first.
    pub columns: &'static [Column],
}

impl FileSchema {
    /// Every column name.
    pub fn names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }

    /// The columns the file must have.
    pub fn required(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .filter(|c| c.required)
            .map(|c| c.name)
            .collect()
    }

    /// The columns read only as numbers.
    pub fn numeric(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .filter(|c| c.kind == Kind::Number)
            .map(|c| c.name)
            .collect()
    }
}

const fn need(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        required: true,
    }
}

const fn may(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        required: false,
    }
}

use Kind::{Date, Number, Text};

/// Every input file, in the order a run reads them.
pub const FILES: &[FileSchema] = &[
    FileSchema {
        name: "sales",
        columns: &[
            need("sku", Text),
            need("date", Date),
            need("qty", Number),
            may("location", Text),
            may("price", Number),
            may("promo", Number),
        ],
    },
    FileSchema {
        name: "backorders",
        columns: &[
            need("sku", Text),
            need("date", Date),
            need("qty", Number),
            may("location", Text),
        ],
    },
    FileSchema {
        name: "inventory",
        columns: &[
            need("sku", Text),
            need("on_hand", Number),
            may("location", Text),
            may("on_order", Number),
            may("backordered", Number),
            may("allocated", Number),
        ],
    },
    FileSchema {
        name: "items",
        columns: &[
            need("sku", Text),
            may("location", Text),
            may("description", Text),
            may("supplier", Text),
            may("unit_cost", Number),
            may("lead_time_days", Number),
            may("lead_time_sd_days", Number),
            may("moq", Number),
            may("pack_size", Number),
            may("service_level", Number),
            may("review_period_days", Number),
            may("order_cost", Number),
            may("holding_rate", Number),
            may("min_qty", Number),
            may("max_qty", Number),
            may("status", Text),
            may("successor_sku", Text),
            may("category", Text),
            may("unit_volume", Number),
            may("unit_weight", Number),
        ],
    },
    FileSchema {
        name: "purchase_orders",
        columns: &[
            need("sku", Text),
            need("qty", Number),
            need("order_date", Date),
            need("due_date", Date),
            may("location", Text),
            may("supplier", Text),
            may("po_id", Text),
            may("received_date", Date),
            may("received_qty", Number),
        ],
    },
    FileSchema {
        name: "open_orders",
        columns: &[
            need("order_id", Text),
            need("line", Number),
            need("customer", Text),
            need("sku", Text),
            need("qty", Number),
            need("order_date", Date),
            may("location", Text),
            may("requested_date", Date),
            may("priority", Number),
        ],
    },
    FileSchema {
        name: "substitutes",
        columns: &[
            need("sku", Text),
            need("substitute", Text),
            may("location", Text),
            may("priority", Number),
            may("ratio", Number),
            may("two_way", Text),
        ],
    },
    FileSchema {
        name: "suppliers",
        columns: &[
            need("supplier", Text),
            may("order_days", Text),
            may("min_order_value", Number),
            may("container_volume", Number),
            may("container_weight", Number),
            may("max_containers", Number),
            may("currency", Text),
        ],
    },
    FileSchema {
        name: "events",
        columns: &[
            need("date", Date),
            need("name", Text),
            may("sku", Text),
            may("location", Text),
        ],
    },
];

/// Whether a spreadsheet would run `text` as a formula: it starts with `=`,
/// `+`, `-`, `@`, a tab or a carriage return and is not a number.
pub fn runs_in_a_spreadsheet(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.trim().parse::<f64>().is_err()
}

/// The schema of input file `name`.
pub fn file(name: &str) -> Option<&'static FileSchema> {
    FILES.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_unique_columns_and_required_ones_first() {
        for f in FILES {
            let names = f.names();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len(), "{}", f.name);
            let first_optional = f.columns.iter().position(|c| !c.required);
            let last_required = f.columns.iter().rposition(|c| c.required);
            assert!(last_required < first_optional, "{}", f.name);
        }
        assert_eq!(
            file("sales").map(|f| f.required()),
            Some(vec!["sku", "date", "qty"])
        );
        assert_eq!(
            file("purchase_orders").map(|f| f.numeric()),
            Some(vec!["qty", "received_qty"])
        );
        assert!(file("nope").is_none());
    }
}
