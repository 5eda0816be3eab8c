//! How a fuzz input becomes an input folder: shared by the fuzz target
//! (`fuzz/fuzz_targets/ingest.rs`) and the test that replays the inputs it
//! found (`tests/fuzz_regressions.rs`), so that both read the bytes alike.

/// Input files a fuzz input is split into, in order.
pub const FILES: [&str; 6] = [
    "sales.csv",
    "inventory.csv",
    "items.csv",
    "purchase_orders.csv",
    "backorders.csv",
    "events.csv",
];

/// Separator between files in a fuzz input (ASCII record separator).
pub const SEPARATOR: u8 = 0x1e;

/// Split a fuzz input into (file name, bytes); the first byte's lowest bit
/// selects `input.bad_rows = "quarantine"`.
pub fn split(data: &[u8]) -> (bool, Vec<(&'static str, &[u8])>) {
    let Some((&flags, rest)) = data.split_first() else {
        return (false, Vec::new());
    };
    let files = rest
        .split(|&b| b == SEPARATOR)
        .zip(FILES)
        .map(|(bytes, name)| (name, bytes))
        .collect();
    (flags & 1 == 1, files)
}
