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
