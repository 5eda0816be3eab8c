//! `orders.xlsx`: the order lines as a buyer loads them.
//!
//! - **Summary**: one row per supplier (lines, units, value as formulas over
//!   the Orders sheet, first order-by and needed-by dates, its PO sheet) and
//!   a total row.
//! - **Orders**: every line in one Excel table (filters, a frozen header, a
//!   total row that follows the filter), real date cells, number formats,
//!   MOQ, pack size and flags; no blank or subtotal rows inside the data.
//! - **One sheet per supplier**, laid out as a draft purchase order:
//!   supplier, date, its lines (quantities, unit costs, needed-by dates) and
//!   a total formula — up to [`MAX_PO_SHEETS`] suppliers by value; the rest
//!   are in the Orders table, and the Summary says so.
//!
//! Formulas carry their computed value, so a reader that does not
//! recalculate shows the same figures as Excel. The document date is the
//! as-of date: the file is the same for the same input.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, Formula, Table, TableColumn, TableFunction,
    TableStyle, Workbook, Worksheet, XlsxError,
};

use super::{OrderLine, SupplierLines, by_supplier, flag_names};
use crate::calendar::parse_iso_date;
use crate::error::{Error, Result};

/// Suppliers that get their own draft-PO sheet, the largest by value first.
pub const MAX_PO_SHEETS: usize = 200;

/// Excel's longest sheet name.
const SHEET_NAME_MAX: usize = 31;

/// The formats the sheets share.
struct Formats {
    bold: Format,
    title: Format,
    money: Format,
    bold_money: Format,
    units: Format,
    date: Format,
    header: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            bold: Format::new().set_bold(),
            title: Format::new().set_bold().set_font_size(14),
            money: Format::new().set_num_format("#,##0.00"),
            bold_money: Format::new().set_bold().set_num_format("#,##0.00"),
            units: Format::new().set_num_format("#,##0.###"),
            date: Format::new()
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Left),
            header: Format::new().set_bold().set_background_color("#F4F4F4"),
        }
    }
}

/// Write the workbook of `lines` (grouped by supplier) planned as of `as_of`.
pub(super) fn write(as_of: NaiveDate, lines: &[OrderLine<'_>], path: &Path) -> Result<()> {
    let err = |e: XlsxError| Error::Internal(format!("writing {}: {e}", path.display()));
    let mut book = Workbook::new();
    book.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&excel_date(as_of).map_err(err)?)
            .set_title("replenish orders"),
    );
    let f = Formats::new();
    let suppliers = by_supplier(lines);
    let sheets = po_sheet_names(&suppliers);
    summary_sheet(
        book.add_worksheet(),
        (&suppliers, &sheets),
        lines.len(),
        as_of,
        &f,
    )
    .map_err(err)?;
    orders_sheet(book.add_worksheet(), lines, &f).map_err(err)?;
    for (s, name) in suppliers.iter().zip(&sheets) {
        if let Some(name) = name {
            let sheet = book.add_worksheet();
            sheet.set_name(name).map_err(err)?;
            po_sheet(sheet, s, as_of, &f).map_err(err)?;
        }
    }
    book.save(path).map_err(err)
}

/// An Excel date cell's value for `d`.
fn excel_date(d: NaiveDate) -> std::result::Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1900),
        d.month() as u8,
        d.day() as u8,
    )
}

/// Write ISO date `text` as a date cell (as text when it is not a date).
fn write_date(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    match parse_iso_date(text).map(excel_date) {
        Some(Ok(d)) => sheet.write_date_with_format(row, col, &d, &f.date)?,
        _ => sheet.write_string(row, col, text)?,
    };
    Ok(())
}

/// The draft-PO sheet of each supplier, for the [`MAX_PO_SHEETS`] largest
/// by value (`None` for the rest).
fn po_sheet_names(suppliers: &[SupplierLines<'_>]) -> Vec<Option<String>> {
    let mut by_value: Vec<usize> = (0..suppliers.len()).collect();
    by_value.sort_by(|&a, &b| {
        suppliers[b]
            .value
            .total_cmp(&suppliers[a].value)
            .then(a.cmp(&b))
    });
    let mut taken: BTreeSet<String> = ["summary", "orders"].map(String::from).into();
    let mut names = vec![None; suppliers.len()];
    for &i in by_value.iter().take(MAX_PO_SHEETS) {
        names[i] = Some(sheet_name(suppliers[i].name, &mut taken));
    }
    names
}

/// A sheet name for supplier `name`: "PO " and the name without the
/// characters Excel refuses, at most 31 characters, unique ignoring case
/// among `taken` (which it joins).
fn sheet_name(name: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String = if name.is_empty() {
        "(no supplier)".into()
    } else {
        name.chars()
            .map(|c| match c {
                '[' | ']' | ':' | '*' | '?' | '/' | '\\' | '\'' => '_',
                c if c.is_control() => '_',
                c => c,
            })
            .collect()
    };
    let base: String = format!("PO {clean}").chars().take(SHEET_NAME_MAX).collect();
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate.to_lowercase()) {
        let suffix = format!(" ({n})");
        let keep = SHEET_NAME_MAX - suffix.chars().count();
        candidate = base.chars().take(keep).collect::<String>() + &suffix;
        n += 1;
    }
    taken.insert(candidate.to_lowercase());
    candidate
}

/// Columns of the Orders table: (header, width).
const ORDER_COLUMNS: [(&str, f64); 12] = [
    ("Supplier", 12.0),
    ("SKU", 14.0),
    ("Location", 10.0),
    ("Description", 28.0),
    ("Qty", 10.0),
    ("Pack size", 9.0),
    ("MOQ", 8.0),
    ("Unit cost", 11.0),
    ("Extended cost", 14.0),
    ("Order by", 11.0),
    ("Needed by", 11.0),
    ("Flags", 24.0),
];

/// The Orders sheet: every line in one table with a total row.
fn orders_sheet(
    sheet: &mut Worksheet,
    lines: &[OrderLine<'_>],
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    sheet.set_name("Orders")?;
    for (i, l) in lines.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, l.supplier.as_str())?;
        sheet.write_string(row, 1, l.sku)?;
        sheet.write_string(row, 2, l.location)?;
        sheet.write_string(row, 3, l.description.as_str())?;
        sheet.write_number_with_format(row, 4, l.qty, &f.units)?;
        sheet.write_number_with_format(row, 5, l.plan.pack_size, &f.units)?;
        sheet.write_number_with_format(row, 6, l.plan.moq, &f.units)?;
        sheet.write_number_with_format(row, 7, l.unit_cost, &f.money)?;
        let extended = Formula::new(format!("=E{0}*H{0}", row + 1))
            .set_result(number_text(l.qty * l.unit_cost));
        sheet.write_formula_with_format(row, 8, extended, &f.money)?;
        write_date(sheet, row, 9, &l.order_by, f)?;
        write_date(sheet, row, 10, &l.needed_by, f)?;
        sheet.write_string(row, 11, flag_names(&l.plan.flags, "; "))?;
    }
    let columns: Vec<TableColumn> = ORDER_COLUMNS
        .iter()
        .enumerate()
        .map(|(c, (h, _))| {
            let column = TableColumn::new().set_header(*h);
            match c {
                0 => column.set_total_label("Total"),
                4 => column.set_total_function(TableFunction::Sum),
                8 => column
                    .set_total_function(TableFunction::Sum)
                    .set_format(f.money.clone()),
                _ => column,
            }
        })
        .collect();
    let table = Table::new()
        .set_name("Orders")
        .set_columns(&columns)
        .set_total_row(true)
        .set_style(TableStyle::Medium2);
    // A table needs a data row: an empty plan gets one blank row.
    let last = lines.len().max(1) as u32 + 1;
    sheet.add_table(0, 0, last, ORDER_COLUMNS.len() as u16 - 1, &table)?;
    for (c, (_, width)) in ORDER_COLUMNS.iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The Summary sheet: per supplier (and its PO sheet's name), formulas
/// over the Orders table.
fn summary_sheet(
    sheet: &mut Worksheet,
    (suppliers, sheets): (&[SupplierLines<'_>], &[Option<String>]),
    n_lines: usize,
    as_of: NaiveDate,
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    sheet.set_name("Summary")?;
    sheet.write_string_with_format(0, 0, format!("Orders as of {as_of}"), &f.title)?;
    header_row(
        sheet,
        2,
        &[
            ("Supplier", 16.0),
            ("Lines", 8.0),
            ("Units", 12.0),
            ("Value", 14.0),
            ("First order by", 14.0),
            ("First needed by", 15.0),
            ("Draft PO sheet", 24.0),
        ],
        f,
    )?;
    let last_line = n_lines.max(1) + 1;
    let col = |c: &str| format!("Orders!${c}$2:${c}${last_line}");
    let (suppliers_col, qty_col, value_col) = (col("A"), col("E"), col("I"));
    for (i, (s, po)) in suppliers.iter().zip(sheets).enumerate() {
        let row = i as u32 + 3;
        let r = row + 1;
        sheet.write_string(row, 0, s.name)?;
        // SUMPRODUCT compares exactly: COUNTIF and SUMIF would read a
        // supplier named "*" or ">5" as a pattern.
        let lines = Formula::new(format!("=SUMPRODUCT(--({suppliers_col}=A{r}))"))
            .set_result(s.lines.len().to_string());
        sheet.write_formula(row, 1, lines)?;
        let units = Formula::new(format!("=SUMPRODUCT(({suppliers_col}=A{r})*{qty_col})"))
            .set_result(number_text(s.units));
        sheet.write_formula_with_format(row, 2, units, &f.units)?;
        let value = Formula::new(format!("=SUMPRODUCT(({suppliers_col}=A{r})*{value_col})"))
            .set_result(number_text(s.value));
        sheet.write_formula_with_format(row, 3, value, &f.money)?;
        write_date(sheet, row, 4, s.order_by, f)?;
        write_date(sheet, row, 5, s.needed_by, f)?;
        match po {
            Some(name) => sheet.write_string(row, 6, name.as_str())?,
            None => sheet.write_string(row, 6, "(see Orders)")?,
        };
    }
    let total_row = suppliers.len() as u32 + 3;
    // The last supplier's row, counted from 1 as formulas do.
    let last = total_row;
    sheet.write_string_with_format(total_row, 0, "Total", &f.bold)?;
    for (c, letter, value, format) in [
        (1u16, "B", n_lines as f64, &f.bold),
        (2, "C", suppliers.iter().map(|s| s.units).sum(), &f.bold),
        (
            3,
            "D",
            suppliers.iter().map(|s| s.value).sum(),
            &f.bold_money,
        ),
    ] {
        if suppliers.is_empty() {
            // No rows to sum: a formula over none would take in itself.
            sheet.write_number_with_format(total_row, c, 0.0, format)?;
            continue;
        }
        let sum =
            Formula::new(format!("=SUM({letter}4:{letter}{last})")).set_result(number_text(value));
        sheet.write_formula_with_format(total_row, c, sum, format)?;
    }
    let left_out = sheets.iter().filter(|s| s.is_none()).count();
    if left_out > 0 {
        sheet.write_string(
            total_row + 2,
            0,
            format!(
                "{left_out} suppliers have no draft-PO sheet (only the {MAX_PO_SHEETS} largest by value get one); their lines are in the Orders table"
            ),
        )?;
    }
    sheet.set_freeze_panes(3, 0)?;
    Ok(())
}

/// One supplier's draft purchase order.
fn po_sheet(
    sheet: &mut Worksheet,
    s: &SupplierLines<'_>,
    as_of: NaiveDate,
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    sheet.write_string_with_format(0, 0, "Draft purchase order", &f.title)?;
    sheet.write_string_with_format(1, 0, "Supplier", &f.bold)?;
    sheet.write_string(
        1,
        1,
        if s.name.is_empty() {
            "(no supplier)"
        } else {
            s.name
        },
    )?;
    sheet.write_string_with_format(2, 0, "Date", &f.bold)?;
    sheet.write_date_with_format(2, 1, &excel_date(as_of)?, &f.date)?;
    sheet.write_string_with_format(3, 0, "Lines", &f.bold)?;
    sheet.write_number(3, 1, s.lines.len() as f64)?;
    header_row(
        sheet,
        5,
        &[
            ("Line", 6.0),
            ("SKU", 14.0),
            ("Ship to", 10.0),
            ("Description", 28.0),
            ("Qty", 10.0),
            ("Unit cost", 11.0),
            ("Extended cost", 14.0),
            ("Needed by", 11.0),
        ],
        f,
    )?;
    for (i, l) in s.lines.iter().enumerate() {
        let row = i as u32 + 6;
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, l.sku)?;
        sheet.write_string(row, 2, l.location)?;
        sheet.write_string(row, 3, l.description.as_str())?;
        sheet.write_number_with_format(row, 4, l.qty, &f.units)?;
        sheet.write_number_with_format(row, 5, l.unit_cost, &f.money)?;
        let extended = Formula::new(format!("=E{0}*F{0}", row + 1))
            .set_result(number_text(l.qty * l.unit_cost));
        sheet.write_formula_with_format(row, 6, extended, &f.money)?;
        write_date(sheet, row, 7, &l.needed_by, f)?;
    }
    let total_row = s.lines.len() as u32 + 6;
    sheet.write_string_with_format(total_row, 5, "Total", &f.bold)?;
    let total = Formula::new(format!("=SUM(G7:G{total_row})")).set_result(number_text(s.value));
    sheet.write_formula_with_format(total_row, 6, total, &f.bold_money)?;
    sheet.set_freeze_panes(6, 0)?;
    Ok(())
}

/// Column heads `columns` (name, width) in row `row`, and the widths.
fn header_row(
    sheet: &mut Worksheet,
    row: u32,
    columns: &[(&str, f64)],
    f: &Formats,
) -> std::result::Result<(), XlsxError> {
    for (c, (name, width)) in columns.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, *name, &f.header)?;
        sheet.set_column_width(c as u16, *width)?;
    }
    Ok(())
}

/// A formula's cached result: the number as Excel would show it unformatted.
fn number_text(x: f64) -> String {
    let r = (x * 1e6).round() / 1e6;
    if r == r.trunc() && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_legal_short_and_unique_ignoring_case() {
        let mut taken = BTreeSet::from(["summary".to_string()]);
        assert_eq!(sheet_name("SUP-01", &mut taken), "PO SUP-01");
        assert_eq!(sheet_name("sup-01", &mut taken), "PO sup-01 (2)");
        assert_eq!(sheet_name("A/B:C*?", &mut taken), "PO A_B_C__");
        assert_eq!(sheet_name("", &mut taken), "PO (no supplier)");
        let long = "x".repeat(60);
        let a = sheet_name(&long, &mut taken);
        let b = sheet_name(&long, &mut taken);
        assert_eq!(a.chars().count(), 31);
        assert_eq!(b.chars().count(), 31);
        assert!(b.ends_with(" (2)") && a != b);
    }

    #[test]
    fn cached_results_read_like_numbers() {
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
    }
}
