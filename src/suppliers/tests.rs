use super::*;

#[test]
fn ninetieth_percentile_interpolates() {
    assert_eq!(p90(&[]), 0.0);
    assert_eq!(p90(&[4.0]), 4.0);
    // h = 0.9 × 9 = 8.1: 9 + 0.1 × (10 − 9).
    let v: Vec<f64> = (1..=10).rev().map(f64::from).collect();
    assert!((p90(&v) - 9.1).abs() < 1e-12);
}

#[test]
fn spread_is_the_sample_standard_deviation() {
    assert_eq!(sd(&[3.0]), 0.0);
    assert!((sd(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) - 2.138_089_935).abs() < 1e-8);
}

#[test]
fn order_day_gaps_and_the_next_order_day() {
    use chrono::Weekday::{Fri, Mon, Thu};
    assert_eq!(longest_gap(&[]), None);
    assert_eq!(longest_gap(&[Thu]), Some(7.0));
    // Mon → Thu 3 days, Thu → Mon 4.
    assert_eq!(longest_gap(&[Thu, Mon]), Some(4.0));
    // 2024-05-20 was a Monday.
    let monday = crate::calendar::day_number(chrono::NaiveDate::from_ymd_opt(2024, 5, 20).unwrap());
    assert_eq!(days_to_order_day(monday, &[Mon, Thu]), 0);
    assert_eq!(days_to_order_day(monday + 1, &[Mon, Thu]), 2);
    assert_eq!(days_to_order_day(monday + 5, &[Mon, Thu]), 2);
    assert_eq!(days_to_order_day(monday + 5, &[Fri]), 6);
    assert_eq!(days_to_order_day(monday + 5, &[]), 0);
}
