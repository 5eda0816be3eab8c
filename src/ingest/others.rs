//! The files after the sales: opened on a thread of their own while the
//! sales are read, then read into records two at a time (the purchase
//! orders, the largest, beside all the rest), each reader counting into a
//! sink of its own that joins the run's in file order — so warnings, set-
//! aside rows and the first error come as if the files were read one after
//! another.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::purchase_orders::{self, PoColumns};
use super::readers::{self, Sink, Window};
use super::table::Table;
use super::{
    CompactString, Event, InventoryRecord, Item, OrderLine, PurchaseOrder, Receipt, SeriesKey,
    Substitute, SupplierTerms, open, open_history,
};
use crate::config::Config;
use crate::error::Result;

/// The files after the sales, opened (checked, hashed, parsed); each result
/// is used where the file comes in the contract's order.
pub(super) struct OtherFiles {
    backorders: Result<Option<Table>>,
    inventory: Result<Option<Table>>,
    items: Result<Option<Table>>,
    /// With its numbers and dates converted on the opening thread.
    purchase_orders: Result<Option<(Table, PoColumns)>>,
    open_orders: Result<Option<Table>>,
    substitutes: Result<Option<Table>>,
    suppliers: Result<Option<Table>>,
    events: Result<Option<Table>>,
}

/// What the files after the sales and backorders hold, per series where
/// they are per series.
pub(super) struct OtherData {
    pub inventory: Vec<Option<InventoryRecord>>,
    pub items: Vec<Option<Item>>,
    pub purchase_orders: Vec<Vec<PurchaseOrder>>,
    pub po_suppliers: Vec<CompactString>,
    pub receipts_of_others: Vec<Receipt>,
    pub open_orders: Option<Vec<Vec<OrderLine>>>,
    pub substitutes: Vec<Substitute>,
    pub suppliers: BTreeMap<String, SupplierTerms>,
    pub events: Vec<Event>,
}

/// The series the rows are keyed to: keys sorted, and each key's id.
pub(super) struct Series<'a> {
    pub keys: &'a [SeriesKey],
    pub ids: &'a HashMap<SeriesKey, usize>,
    /// The series whose purchase-order lines are kept whole (the others'
    /// receipts only), when not all.
    pub lines_of: Option<&'a [bool]>,
}

impl OtherFiles {
    /// Open every file after the sales in `dir`.
    pub fn open(dir: &Path, config: &Config) -> OtherFiles {
        let backorders = open_history(dir, "backorders", config, None);
        let inventory = open(dir, "inventory", config);
        let items = open(dir, "items", config);
        let purchase_orders = open(dir, "purchase_orders", config);
        let open_orders = open(dir, "open_orders", config);
        let substitutes = open(dir, "substitutes", config);
        let suppliers = open(dir, "suppliers", config);
        let events = open_history(dir, "events", config, None);
        // Converted last: by then the sales' text has been parsed and freed,
        // and the two do not add up to the ingest's peak.
        let purchase_orders = purchase_orders.and_then(|t| {
            t.map(|mut t| {
                let columns = PoColumns::read(&t, config)?;
                // Their values are in `columns`; a set-aside line's record
                // is then read from the file, when it can be.
                if t.reads_records_from_file() {
                    for col in PoColumns::NAMES {
                        t.forget_column(col);
                    }
                }
                Ok((t, columns))
            })
            .transpose()
        });
        OtherFiles {
            backorders,
            inventory,
            items,
            purchase_orders,
            open_orders,
            substitutes,
            suppliers,
            events,
        }
    }

    /// `backorders.csv`, read into the demand with the sales (once).
    pub fn take_backorders(&mut self) -> Result<Option<Table>> {
        std::mem::replace(&mut self.backorders, Ok(None))
    }

    /// Read the files after the backorders for `series` (the backorders
    /// were read before), counting into `sink`.
    pub fn read(
        self,
        config: &Config,
        series: &Series<'_>,
        window: &Window,
        sink: &mut Sink,
    ) -> Result<OtherData> {
        let Series {
            keys,
            ids,
            lines_of,
        } = *series;
        let n = keys.len();
        let OtherFiles {
            inventory,
            items,
            purchase_orders,
            open_orders,
            substitutes,
            suppliers,
            events,
            ..
        } = self;
        let (po, (inv, itm, oo, subs, sup, ev)) = rayon::join(
            || {
                counted(purchase_orders, |(mut t, c), s| {
                    let series = purchase_orders::Keyed {
                        keys,
                        ids,
                        lines_of,
                    };
                    purchase_orders::purchase_orders(&mut t, &c, config, &series, window, s)
                })
            },
            || {
                (
                    counted(inventory, |t, s| {
                        Ok((
                            readers::inventory(&t, config, ids, n, s)?,
                            t.has("backordered"),
                        ))
                    }),
                    counted(items, |t, s| readers::items(&t, keys, ids, s)),
                    counted(open_orders, |t, s| {
                        Ok((
                            readers::open_orders(&t, config, ids, n, window, s)?,
                            t.display.clone(),
                        ))
                    }),
                    counted(substitutes, |t, s| readers::substitutes(&t, keys, s)),
                    counted(suppliers, |t, s| readers::suppliers(&t, s)),
                    counted(events, |t, s| readers::events(&t, config, s)),
                )
            },
        );
        let (inventory, inventory_backorders) =
            inv.join(sink)?.unwrap_or_else(|| (vec![None; n], false));
        let items = itm.join(sink)?.unwrap_or_else(|| vec![None; n]);
        let po = po.join(sink)?.unwrap_or_else(|| purchase_orders::PoLines {
            lines: vec![Vec::new(); n],
            receipts: Vec::new(),
            suppliers: Vec::new(),
        });
        let open_orders = oo.join(sink)?.map(|(lines, file)| {
            if inventory_backorders {
                readers::reconcile_backorders(&lines, &inventory, keys, &file, sink);
            }
            lines
        });
        Ok(OtherData {
            inventory,
            items,
            purchase_orders: po.lines,
            po_suppliers: po.suppliers,
            receipts_of_others: po.receipts,
            open_orders,
            substitutes: subs.join(sink)?.unwrap_or_default(),
            suppliers: sup.join(sink)?.unwrap_or_default(),
            events: ev.join(sink)?.unwrap_or_default(),
        })
    }
}

/// One reader's result (`None`: no such file) and what it counted.
struct Counted<T> {
    result: Result<Option<T>>,
    sink: Sink,
}

/// Read an opened `file`, when there is one, with `read`.
fn counted<F, T>(
    file: Result<Option<F>>,
    read: impl FnOnce(F, &mut Sink) -> Result<T>,
) -> Counted<T> {
    let mut sink = Sink::default();
    let result = file.and_then(|t| t.map(|t| read(t, &mut sink)).transpose());
    Counted { result, sink }
}

impl<T> Counted<T> {
    /// Add what the reader counted to `sink` and hand back its result.
    fn join(self, sink: &mut Sink) -> Result<Option<T>> {
        sink.append(self.sink);
        self.result
    }
}
