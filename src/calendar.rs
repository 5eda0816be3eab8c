//! Time buckets: day, ISO week (Monday start) or calendar month.
//!
//! A bucket is identified by an integer index so that series can be stored as
//! contiguous vectors on one calendar; [`Bucket::index`] and [`Bucket::start`]
//! convert between dates and indices.

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// The length of one period of demand, ordered shortest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    /// One calendar day.
    Day,
    /// One ISO week, Monday to Sunday.
    #[default]
    Week,
    /// One calendar month.
    Month,
}

/// Days from 0001-01-01 (chrono's CE day 1) to 1970-01-01.
const EPOCH_CE_DAYS: i32 = 719_163;

/// Day number of a date, 0 = 1970-01-01 (the Arrow / Polars `Date` representation).
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_CE_DAYS
}

/// The date of a day number (0 = 1970-01-01); `None` when out of chrono's range.
pub fn date_of_day(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(EPOCH_CE_DAYS)?)
}

/// Parse an ISO `YYYY-MM-DD` date (surrounding spaces allowed).
pub fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &[u8]| -> Option<u32> {
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(&b[0..4])? as i32, num(&b[5..7])?, num(&b[8..10])?)
}

/// The day number of an ISO `YYYY-MM-DD` date (surrounding spaces allowed):
/// `parse_iso_date(text).map(day_number)`, computed without building a date,
/// for the millions of dates an ingest reads.
pub fn parse_iso_day(text: &str) -> Option<i32> {
    let b = text.trim().as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &[u8]| -> Option<i32> {
        s.iter().try_fold(0i32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    let (y, m, d) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_days).contains(&d) {
        return None;
    }
    // Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
    // `days_from_civil`); the year is 0..=9999, so `y - 1` never wraps an era.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

impl Bucket {
    /// Index of the bucket holding `day` (a day number, 0 = 1970-01-01).
    pub fn index(self, day: i32) -> i64 {
        let day = i64::from(day);
        match self {
            Bucket::Day => day,
            // 1970-01-01 was a Thursday: day + 3 counts from Monday 1969-12-29.
            Bucket::Week => (day + 3).div_euclid(7),
            Bucket::Month => {
                let date = date_of_day(day as i32).expect("day numbers come from valid dates");
                i64::from(date.year()) * 12 + i64::from(date.month0())
            }
        }
    }

    /// First day (day number) of bucket `index`.
    pub fn start_day(self, index: i64) -> i32 {
        match self {
            Bucket::Day => index as i32,
            Bucket::Week => (index * 7 - 3) as i32,
            Bucket::Month => {
                let year = index.div_euclid(12) as i32;
                let month = index.rem_euclid(12) as u32 + 1;
                day_number(NaiveDate::from_ymd_opt(year, month, 1).expect("valid month"))
            }
        }
    }

    /// First date of bucket `index`.
    pub fn start(self, index: i64) -> NaiveDate {
        date_of_day(self.start_day(index)).expect("bucket start within chrono's range")
    }

    /// Number of days in bucket `index`.
    pub fn days_in(self, index: i64) -> i32 {
        self.start_day(index + 1) - self.start_day(index)
    }

    /// Average length in days (7 for a week, 30.4375 for a month).
    pub fn mean_days(self) -> f64 {
        match self {
            Bucket::Day => 1.0,
            Bucket::Week => 7.0,
            Bucket::Month => 365.25 / 12.0,
        }
    }

    /// Buckets in a year, rounded (365, 52, 12).
    pub fn per_year(self) -> usize {
        match self {
            Bucket::Day => 365,
            Bucket::Week => 52,
            Bucket::Month => 12,
        }
    }

    /// Unit label for charts and tables ("day", "week", "month").
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Day => "day",
            Bucket::Week => "week",
            Bucket::Month => "month",
        }
    }
}

/// The bucket a run plans in (`run.bucket`): one of the buckets, or
/// `auto`, the grain of the sales dates ([`grain`]) when it is weeks or
/// months, else weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BucketChoice {
    /// The grain of the sales dates: months, weeks, or weeks for daily dates.
    #[default]
    Auto,
    /// One calendar day.
    Day,
    /// One ISO week.
    Week,
    /// One calendar month.
    Month,
}

impl BucketChoice {
    /// The bucket chosen, `None` for `auto`.
    pub fn fixed(self) -> Option<Bucket> {
        match self {
            BucketChoice::Auto => None,
            BucketChoice::Day => Some(Bucket::Day),
            BucketChoice::Week => Some(Bucket::Week),
            BucketChoice::Month => Some(Bucket::Month),
        }
    }

    /// The bucket to plan in for sales of `grain` (see [`grain`]).
    pub fn resolve(self, grain: Option<Bucket>) -> Bucket {
        self.fixed().unwrap_or(match grain {
            Some(Bucket::Month) => Bucket::Month,
            _ => Bucket::Week,
        })
    }
}

impl From<Bucket> for BucketChoice {
    fn from(b: Bucket) -> BucketChoice {
        match b {
            Bucket::Day => BucketChoice::Day,
            Bucket::Week => BucketChoice::Week,
            Bucket::Month => BucketChoice::Month,
        }
    }
}

impl fmt::Display for BucketChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fixed() {
            Some(b) => f.write_str(b.name()),
            None => f.write_str("auto"),
        }
    }
}

/// Fewest distinct sales dates from which a grain is read.
const GRAIN_MIN_DATES: usize = 3;

/// The grain of a set of dates (day numbers, any order, repeats allowed):
/// `Month` when every date is the first of its month, or every date the
/// last; `Week` when every date falls on one weekday; `Day` otherwise;
/// `None` when there are fewer than three distinct dates to tell by.
pub fn grain(days: impl IntoIterator<Item = i32>) -> Option<Bucket> {
    // A set, not a sorted copy of every row: a history has few distinct dates.
    let distinct: std::collections::BTreeSet<i32> = days.into_iter().collect();
    if distinct.len() < GRAIN_MIN_DATES {
        return None;
    }
    let first_of_month = |d: i32| date_of_day(d).is_some_and(|x| x.day() == 1);
    if distinct.iter().all(|&d| first_of_month(d))
        || distinct.iter().all(|&d| first_of_month(d + 1))
    {
        return Some(Bucket::Month);
    }
    let weekday = distinct.first().map_or(0, |d| d.rem_euclid(7));
    if distinct.iter().all(|d| d.rem_euclid(7) == weekday) {
        return Some(Bucket::Week);
    }
    Some(Bucket::Day)
}

/// The first day after the period of `grain` that holds `last`: the start
/// of the next month for monthly dates, of the next ISO week for weekly
/// ones, the next day otherwise. Sales dated once per period stand for the
/// whole period, so history runs to its end.
pub fn day_after_period(last: i32, grain: Option<Bucket>) -> i32 {
    match grain {
        Some(b @ (Bucket::Week | Bucket::Month)) => b.start_day(b.index(last) + 1),
        _ => last + 1,
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Date `days` after the as-of date.
pub fn date_after(as_of: NaiveDate, days: i64) -> NaiveDate {
    add_days(as_of, days as f64)
}

/// `date` plus a (possibly fractional) number of days, rounded up to whole days.
pub fn add_days(date: NaiveDate, days: f64) -> NaiveDate {
    let whole = if days.is_finite() {
        days.ceil().clamp(-1e6, 1e6) as i64
    } else {
        0
    };
    date + Duration::days(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grain_of_the_dates() {
        let d = |t: &str| parse_iso_day(t).unwrap();
        let months = ["2026-08-01", "2026-09-01", "2026-10-01"].map(d);
        assert_eq!(grain(months), Some(Bucket::Month));
        let ends = ["2026-08-31", "2026-09-30", "2026-10-31", "2026-10-31"].map(d);
        assert_eq!(grain(ends), Some(Bucket::Month));
        let sundays = ["2026-10-11", "2026-10-18", "2026-11-01"].map(d);
        assert_eq!(grain(sundays), Some(Bucket::Week));
        let days = ["2026-10-11", "2026-10-12", "2026-11-01"].map(d);
        assert_eq!(grain(days), Some(Bucket::Day));
        assert_eq!(
            grain(["2026-10-01", "2026-11-01", "2026-10-01"].map(d)),
            None
        );
        // The planning date: the start of the period after the last one.
        let next = |t: &str, g| date_of_day(day_after_period(d(t), g)).unwrap().to_string();
        assert_eq!(next("2026-10-01", Some(Bucket::Month)), "2026-11-01");
        assert_eq!(next("2026-10-31", Some(Bucket::Month)), "2026-11-01");
        assert_eq!(next("2026-11-01", Some(Bucket::Week)), "2026-11-02"); // a Sunday
        assert_eq!(next("2026-10-26", Some(Bucket::Week)), "2026-11-02"); // a Monday
        assert_eq!(next("2026-10-26", Some(Bucket::Day)), "2026-10-27");
        assert_eq!(BucketChoice::Auto.resolve(Some(Bucket::Day)), Bucket::Week);
        assert_eq!(
            BucketChoice::Auto.resolve(Some(Bucket::Month)),
            Bucket::Month
        );
        assert_eq!(BucketChoice::Day.resolve(Some(Bucket::Month)), Bucket::Day);
    }

    #[test]
    fn parse_iso_day_equals_the_day_number_of_parse_iso_date() {
        let check = |text: &str| {
            assert_eq!(
                parse_iso_day(text),
                parse_iso_date(text).map(day_number),
                "{text:?}"
            )
        };
        for y in 0..=9999 {
            for m in 0..=13 {
                for d in [0, 1, 28, 29, 30, 31, 32] {
                    check(&format!("{y:04}-{m:02}-{d:02}"));
                }
            }
        }
        let mut date = NaiveDate::from_ymd_opt(1899, 1, 1).unwrap();
        while date.year() < 2101 {
            check(&date.to_string());
            date += Duration::days(1);
        }
        for text in [
            " 2024-02-29 ",
            "2023-02-29",
            "2024-2-29",
            "2024/02/29",
            "2024-02-2x",
            "+024-02-29",
            "2024-02-29T",
            "",
        ] {
            check(text);
        }
    }

    fn d(s: &str) -> NaiveDate {
        parse_iso_date(s).unwrap()
    }

    #[test]
    fn day_numbers_match_the_unix_epoch() {
        assert_eq!(day_number(d("1970-01-01")), 0);
        assert_eq!(day_number(d("1970-01-02")), 1);
        assert_eq!(date_of_day(-1), Some(d("1969-12-31")));
    }

    #[test]
    fn weeks_start_on_monday() {
        let b = Bucket::Week;
        // 2026-11-23 is a Monday, 2026-11-29 the Sunday after.
        let mon = b.index(day_number(d("2026-11-23")));
        assert_eq!(b.index(day_number(d("2026-11-29"))), mon);
        assert_eq!(b.index(day_number(d("2026-11-30"))), mon + 1);
        assert_eq!(b.index(day_number(d("2026-11-22"))), mon - 1);
        assert_eq!(b.start(mon), d("2026-11-23"));
        assert_eq!(
            b.start(b.index(day_number(d("1969-12-31")))),
            d("1969-12-29")
        );
        assert_eq!(b.days_in(mon), 7);
    }

    #[test]
    fn months_and_days() {
        let m = Bucket::Month;
        let i = m.index(day_number(d("2024-02-29")));
        assert_eq!(m.start(i), d("2024-02-01"));
        assert_eq!(m.days_in(i), 29);
        assert_eq!(m.start(i + 11), d("2025-01-01"));
        assert_eq!(
            Bucket::Day.start(Bucket::Day.index(17)),
            date_of_day(17).unwrap()
        );
    }

    #[test]
    fn iso_dates_only() {
        assert!(parse_iso_date("2024-02-30").is_none());
        assert!(parse_iso_date("24-02-01").is_none());
        assert!(parse_iso_date("2024/02/01").is_none());
        assert!(parse_iso_date("01.02.2024").is_none());
        assert_eq!(parse_iso_date(" 2024-02-01 "), Some(d("2024-02-01")));
    }
}
