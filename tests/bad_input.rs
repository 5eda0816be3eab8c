//! Bad input: each case exits with code 3 and one clear message naming the
//! file, the line (or row) and the column, and leaves no report folder.

mod common;

use common::{Fixture, stderr};

const GOOD_SALES: &str = "sku,location,date,qty\nA,DC1,2024-05-05,3\nA,DC1,2024-05-12,4\n";

/// Run the fixture and check it failed as bad input with all `expected` parts in the message.
fn fails(f: &Fixture, expected: &[&str]) {
    let out = f.run(&[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "exit code; stderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one message: {err}");
    for part in expected {
        assert!(err.contains(part), "message lacks {part:?}: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        f.reports().is_empty(),
        "report folder left behind: {:?}",
        f.reports()
    );
}

#[test]
fn missing_sales_file() {
    let f = Fixture::new();
    f.write("inventory.csv", "sku,on_hand\nA,3\n");
    fails(&f, &["sales.csv", "required file missing"]);
}

#[test]
fn missing_required_column() {
    let f = Fixture::new();
    f.write("sales.csv", "sku,location,day,qty\nA,DC1,2024-05-05,3\n");
    fails(
        &f,
        &[
            "sales.csv",
            "column `date`",
            "missing required column",
            "sku, location, day, qty",
        ],
    );
}

#[test]
fn missing_mapped_column_names_the_mapping() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    let out = f.run(&["--config", &f.config("[columns.sales]\nqty = \"Units\"\n")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("column `Units`") && err.contains("[columns.sales] qty = \"Units\""),
        "{err}"
    );
}

#[test]
fn unparsable_date() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\nA,DC1,2024-05-05,3\nA,DC1,05/12/2024,4\n",
    );
    fails(
        &f,
        &[
            "sales.csv, line 3, column `date`",
            "expected a date YYYY-MM-DD",
            "05/12/2024",
        ],
    );
}

#[test]
fn date_out_of_range() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\nA,DC1,2024-05-05,3\nA,DC1,0024-05-12,4\n",
    );
    fails(
        &f,
        &[
            "sales.csv, line 3, column `date`",
            "between 1000-01-01 and 9999-12-31",
            "0024-05-12",
        ],
    );
}

#[test]
fn non_numeric_quantity() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\nA,DC1,2024-05-05,3\nA,DC1,2024-05-12,abc\n",
    );
    fails(
        &f,
        &[
            "sales.csv, line 3, column `qty`",
            "expected a number",
            "\"abc\"",
        ],
    );
}

#[test]
fn not_finite_quantity() {
    let f = Fixture::new();
    f.write("sales.csv", "sku,location,date,qty\nA,DC1,2024-05-05,NaN\n");
    fails(&f, &["sales.csv, line 2, column `qty`", "finite"]);
}

#[test]
fn negative_on_hand() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("inventory.csv", "sku,location,on_hand\nA,DC1,-4\n");
    fails(
        &f,
        &[
            "inventory.csv, line 2, column `on_hand`",
            "at least 0",
            "-4",
        ],
    );
}

#[test]
fn empty_file() {
    let f = Fixture::new();
    f.write("sales.csv", "");
    fails(&f, &["sales.csv", "empty"]);
}

#[test]
fn header_only_sales() {
    let f = Fixture::new();
    f.write("sales.csv", "sku,location,date,qty\n");
    fails(&f, &["sales.csv", "no data rows"]);
}

#[test]
fn ragged_row() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\nA,DC1,2024-05-05,3\nA,DC1,2024-05-12,4,9\n",
    );
    fails(
        &f,
        &[
            "sales.csv, line 3",
            "ragged row",
            "expected 4 fields",
            "found 5",
        ],
    );
}

#[test]
fn a_semicolon_file_is_named_as_one_in_its_errors() {
    let f = Fixture::new();
    f.write("sales.csv", "sku;location;day;qty\nA;DC1;2024-05-05;3\n");
    fails(
        &f,
        &[
            "sales.csv",
            "missing required column",
            "sku, location, day, qty",
            "separated by semicolons",
        ],
    );
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku;location;date;qty\nA;DC1;2024-05-05;3\nA;DC1;2024-05-12;4;9\n",
    );
    fails(
        &f,
        &[
            "sales.csv, line 3",
            "expected 4 fields separated by semicolons",
            "found 5",
        ],
    );
}

#[test]
fn short_row_is_ragged_too() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("items.csv", "sku,unit_cost,lead_time_days\nA,3\n");
    fails(
        &f,
        &[
            "items.csv, line 2",
            "ragged row",
            "expected 3 fields",
            "found 2",
        ],
    );
}

#[test]
fn invalid_utf8() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        b"sku,location,date,qty\nA\xff,DC1,2024-05-05,3\n".as_slice(),
    );
    fails(&f, &["sales.csv, line 2, column `sku`", "UTF-8"]);
}

#[test]
fn service_level_out_of_range() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("items.csv", "sku,service_level\nA,95\n");
    fails(
        &f,
        &[
            "items.csv, line 2, column `service_level`",
            "between 0 and 1",
        ],
    );
}

#[test]
fn negative_lead_time() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("items.csv", "sku,lead_time_days\nA,-3\n");
    fails(
        &f,
        &["items.csv, line 2, column `lead_time_days`", "at least 0"],
    );
}

#[test]
fn zero_holding_rate() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("items.csv", "sku,order_cost,holding_rate\nA,20,0\n");
    fails(
        &f,
        &["items.csv, line 2, column `holding_rate`", "positive"],
    );
}

#[test]
fn max_below_min() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("items.csv", "sku,min_qty,max_qty\nA,20,10\n");
    fails(
        &f,
        &["items.csv, line 2, column `max_qty`", "at least min_qty"],
    );
}

#[test]
fn negative_order_cost() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("items.csv", "sku,order_cost,holding_rate\nA,-5,0.2\n");
    fails(
        &f,
        &["items.csv, line 2, column `order_cost`", "at least 0"],
    );
}

#[test]
fn zero_pack_size() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("items.csv", "sku,pack_size\nA,0\n");
    fails(&f, &["items.csv, line 2, column `pack_size`", "positive"]);
}

#[test]
fn both_csv_and_parquet() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("sales.parquet", b"PAR1".as_slice());
    fails(&f, &["sales.csv and sales.parquet"]);
}

#[test]
fn parquet_column_of_the_wrong_type() {
    use polars::prelude::*;
    let f = Fixture::new();
    let mut df = df!(
        "sku" => ["A", "A"],
        "date" => ["2024-05-05", "2024-05-12"],
        "qty" => [true, false],
    )
    .unwrap();
    // A boolean quantity is numeric enough; a date where a quantity belongs is not.
    df.replace(
        "qty",
        Column::new("qty".into(), [19848i32, 19855])
            .cast(&DataType::Date)
            .unwrap(),
    )
    .unwrap();
    let file = std::fs::File::create(f.data().join("sales.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    fails(
        &f,
        &["sales.parquet", "column `qty`", "expected numbers", "date"],
    );
}

#[test]
fn parquet_bad_value_names_the_row() {
    use polars::prelude::*;
    let f = Fixture::new();
    let mut df = df!(
        "sku" => ["A", "A", "A"],
        "date" => ["2024-05-05", "2024-05-12", "2024-13-01"],
        "qty" => [1.0, 2.0, 3.0],
    )
    .unwrap();
    let file = std::fs::File::create(f.data().join("sales.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    fails(&f, &["sales.parquet, row 3, column `date`", "2024-13-01"]);
}

#[test]
fn not_a_parquet_file() {
    let f = Fixture::new();
    f.write("sales.parquet", b"this is not parquet".as_slice());
    fails(&f, &["sales.parquet", "cannot read the Parquet file"]);
}

#[test]
fn bad_config_value() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    let out = f.run(&["--config", &f.config("[policy]\nreview_period_days = -7\n")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("review_period_days"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_usage_is_exit_code_2() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    let out = f.run(&["--bucket", "year"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected auto, day, week or month"));
}

#[test]
fn crlf_and_bom_are_accepted() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "\u{feff}sku,location,date,qty\r\nA,DC1,2024-05-05,3\r\nA,DC1,2024-05-12,4\r\n",
    );
    let out = f.run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn quoted_fields_keep_line_numbers() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\n\"A, large\",DC1,2024-05-05,3\n\"B\nsecond line\",DC1,2024-05-05,3\nC,DC1,2024-05-05,x\n",
    );
    fails(&f, &["sales.csv, line 5, column `qty`"]);
}

#[test]
fn mixed_date_formats_name_the_first_other_one() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\nA,DC1,2024-05-05,3\nA,DC1,05/12/2024,4\nA,DC1,2024-05-19,4\n",
    );
    fails(
        &f,
        &[
            "sales.csv, line 3, column `date`",
            "YYYY-MM-DD",
            "\"05/12/2024\"",
        ],
    );
}

#[test]
fn huge_quantity_is_taken_for_corruption() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\nA,DC1,2024-05-05,3\nA,DC1,2024-05-12,1e300\n",
    );
    fails(
        &f,
        &["sales.csv, line 3, column `qty`", "at most 1e12", "1e300"],
    );
}

#[test]
fn infinite_stock() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write("inventory.csv", "sku,location,on_hand\nA,DC1,inf\n");
    fails(&f, &["inventory.csv, line 2, column `on_hand`", "finite"]);
}

#[test]
fn column_named_twice() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty,qty\nA,DC1,2024-05-05,3,4\n",
    );
    fails(&f, &["sales.csv, line 1, column `qty`", "appears twice"]);
}

#[test]
fn renamed_column_lists_the_header() {
    let f = Fixture::new();
    f.write("sales.csv", "item,location,date,qty\nA,DC1,2024-05-05,3\n");
    fails(
        &f,
        &[
            "column `sku`",
            "missing required column",
            "item, location, date, qty",
        ],
    );
}

#[test]
fn negative_backorder() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    f.write(
        "backorders.csv",
        "sku,location,date,qty\nA,DC1,2024-05-06,-2\n",
    );
    fails(&f, &["backorders.csv, line 2, column `qty`", "at least 0"]);
}

#[test]
fn empty_sku() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty\nA,DC1,2024-05-05,3\n ,DC1,2024-05-12,4\n",
    );
    fails(&f, &["sales.csv, line 3, column `sku`", "empty value"]);
}

#[test]
fn promo_flag_other_than_0_or_1() {
    let f = Fixture::new();
    f.write(
        "sales.csv",
        "sku,location,date,qty,promo\nA,DC1,2024-05-05,3,0\nA,DC1,2024-05-12,4,yes\n",
    );
    fails(&f, &["sales.csv, line 3, column `promo`", "\"yes\""]);
}

#[test]
fn negative_lead_time_in_the_config() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    let out = f.run(&["--config", &f.config("[policy]\nlead_time_days = -3\n")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("policy.lead_time_days = -3"), "{err}");
}

#[test]
fn rejected_share_out_of_range() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    let out = f.run(&["--config", &f.config("[input]\nmax_rejected_share = 2\n")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("input.max_rejected_share = 2"), "{err}");
}

#[test]
fn as_of_centuries_after_the_last_sale() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    let out = f.run(&["--as-of", "2999-01-01"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("input.max_history_years") && err.contains("2024-05-12"),
        "{err}"
    );
    assert!(f.reports().is_empty());
}

#[test]
fn bad_global_model_settings_name_the_key() {
    let f = Fixture::new();
    f.write("sales.csv", GOOD_SALES);
    for (toml, key) in [
        ("[forecast.global]\nfits = 0\n", "forecast.global.fits"),
        (
            "[forecast.global]\nl1_ratio = 1.5\n",
            "forecast.global.l1_ratio",
        ),
        (
            "[forecast.global]\npenalty = -1\n",
            "forecast.global.penalty",
        ),
        (
            "[forecast.global]\ntraining_rows = 10\n",
            "forecast.global.training_rows",
        ),
    ] {
        let out = f.run(&["--config", &f.config(toml)]);
        assert_eq!(out.status.code(), Some(3), "{toml}");
        assert!(stderr(&out).contains(key), "{toml}: {}", stderr(&out));
    }
}

#[test]
fn a_missing_config_file_is_bad_configuration_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let out = common::binary()
        .args(["run", "--config"])
        .arg(&missing)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = common::stderr(&out);
    assert!(err.contains("cannot read the config file"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
}
