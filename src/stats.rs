//! Distribution functions the policy needs: the chi-square tail of the
//! dispersion test, the standard normal CDF and its
//! inverse (Acklam's rational approximation refined by one Halley step, about
//! 1e-15 relative accuracy); and the bitwise comparison of two series of
//! values ([`same_bits`]).

// The C library's complementary error function (C99 `erfc`, in the math
// library the standard library links for its own float functions): a pure
// function of one float, so safe to call. About 1.7× as fast as the libm
// crate's port on this machine, and within a few ulp of it (BENCHMARKS.md,
// "`norm_cdf` on the C library's `erfc`").
unsafe extern "C" {
    safe fn erfc(x: f64) -> f64;
}

/// Standard normal cumulative distribution Φ(x).
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Standard normal density φ(x).
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Inverse standard normal CDF Φ⁻¹(p) for p in (0, 1); ±∞ at 0 and 1, NaN outside.
pub fn norm_ppf(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) || p.is_nan() {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step on Φ(x) − p.
    let e = norm_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Probabilities P(X = 0), P(X = 1), … of a count distribution with mean
/// `mean` and variance `var`: negative binomial when over-dispersed
/// (`var > mean`), else Poisson. The iterator never ends (the tail tends to 0).
#[derive(Debug, Clone)]
pub struct CountPmf {
    pmf: f64,
    k: f64,
    mean: f64,
    /// NB size `r` and success probability `q`; `None` for Poisson.
    negbin: Option<(f64, f64)>,
}

impl CountPmf {
    /// The distribution, or `None` when it cannot be evaluated term by term
    /// (mean not positive and finite, above 500, or P(X = 0) underflowing):
    /// callers then use the normal approximation.
    pub fn new(mean: f64, var: f64) -> Option<CountPmf> {
        if !(mean > 0.0 && mean <= 500.0) {
            return None;
        }
        let var = if var.is_finite() { var.max(mean) } else { mean };
        let (first, negbin) = if var <= mean * (1.0 + 1e-9) {
            ((-mean).exp(), None)
        } else {
            let r = mean * mean / (var - mean);
            let q = r / (r + mean);
            (q.powf(r), Some((r, q)))
        };
        (first.is_finite() && first > 1e-300).then_some(CountPmf {
            pmf: first,
            k: 0.0,
            mean,
            negbin,
        })
    }
}

impl Iterator for CountPmf {
    type Item = f64;

    fn next(&mut self) -> Option<f64> {
        let current = self.pmf;
        self.pmf *= match self.negbin {
            None => self.mean / (self.k + 1.0),
            Some((r, q)) => (self.k + r) / (self.k + 1.0) * (1.0 - q),
        };
        self.k += 1.0;
        Some(current)
    }
}

/// Quantile `p` of a count distribution with mean `mean` and variance `var`:
/// negative binomial when over-dispersed (`var > mean`), else Poisson. Large
/// means use the normal approximation. Always finite and ≥ 0.
pub fn negbin_quantile(mean: f64, var: f64, p: f64) -> f64 {
    if mean.is_nan() || mean <= 0.0 || !mean.is_finite() {
        return 0.0;
    }
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    let var = if var.is_finite() { var.max(mean) } else { mean };
    let Some(pmf) = CountPmf::new(mean, var) else {
        return (mean + norm_ppf(p) * var.sqrt()).max(0.0).round();
    };
    let limit = (mean + 60.0 * var.sqrt() + 100.0) as usize;
    let mut cdf = 0.0;
    for (k, prob) in pmf.enumerate().take(limit) {
        cdf += prob;
        if cdf >= p {
            return k as f64;
        }
    }
    limit as f64
}

/// Upper tail P(X ≥ x) of the chi-square distribution with `dof` degrees of
/// freedom, by the Wilson–Hilferty cube-root normal approximation (within
/// about 0.005 of the exact tail from 5 degrees of freedom on, the range a
/// dispersion test uses). 1 for x ≤ 0; NaN for `dof` ≤ 0.
pub fn chi2_sf(x: f64, dof: f64) -> f64 {
    if dof.is_nan() || dof <= 0.0 {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let v = 2.0 / (9.0 * dof);
    let z = ((x / dof).cbrt() - (1.0 - v)) / v.sqrt();
    1.0 - norm_cdf(z)
}

/// Upper tail P(F ≥ f) of the F distribution with `d1` and `d2` degrees of
/// freedom, by Paulson's cube-root normal approximation (within about 0.005
/// of the exact tail near the 5 % point once `d2` ≥ 10). 1 for f ≤ 0; NaN
/// for degrees of freedom not positive.
pub fn f_sf(f: f64, d1: f64, d2: f64) -> f64 {
    if d1.is_nan() || d2.is_nan() || d1 <= 0.0 || d2 <= 0.0 {
        return f64::NAN;
    }
    if f.is_nan() || f <= 0.0 {
        return 1.0;
    }
    let (a, b) = (2.0 / (9.0 * d1), 2.0 / (9.0 * d2));
    let c = f.cbrt();
    let z = ((1.0 - b) * c - (1.0 - a)) / (a + b * c * c).sqrt();
    1.0 - norm_cdf(z)
}

/// Whether two slices hold the same values bit for bit (−0.0 is not 0.0,
/// a NaN equals the same NaN): what a pure function of them cannot tell
/// apart.
pub fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f_tail_at_table_critical_values() {
        // F₀.₉₅ critical values from the tables: (d1, d2, f).
        for (d1, d2, f) in [
            (6.0, 35.0, 2.372),
            (11.0, 24.0, 2.216),
            (3.0, 20.0, 3.098),
            (1.0, 30.0, 4.171),
        ] {
            let p = f_sf(f, d1, d2);
            assert!((p - 0.05).abs() < 0.005, "F({d1}, {d2}) at {f}: {p}");
        }
        assert_eq!(f_sf(0.0, 3.0, 10.0), 1.0);
        assert!(f_sf(1e6, 3.0, 10.0) < 1e-6);
        assert!(f_sf(2.0, 0.0, 10.0).is_nan());
    }

    #[test]
    fn known_quantiles() {
        assert!((norm_ppf(0.95) - 1.644_853_626_951_472_2).abs() < 1e-12);
        assert!((norm_ppf(0.9) - 1.281_551_565_544_600_4).abs() < 1e-12);
        assert!((norm_ppf(0.98) - 2.053_748_910_631_823).abs() < 1e-12);
        assert!((norm_ppf(0.001) + 3.090_232_306_167_813_5).abs() < 1e-10);
        assert_eq!(norm_ppf(0.5), 0.0);
        assert!(norm_ppf(1.5).is_nan());
    }

    #[test]
    fn count_quantiles() {
        // Poisson(2): P(0) = .135, P(≤1) = .406, P(≤2) = .677, P(≤4) = .947.
        assert_eq!(negbin_quantile(2.0, 2.0, 0.1), 0.0);
        assert_eq!(negbin_quantile(2.0, 2.0, 0.5), 2.0);
        assert_eq!(negbin_quantile(2.0, 1.0, 0.9), 4.0);
        // NB with mean 2, variance 6 (r = 1, q = 1/3: geometric): P(≤k) = 1 − (2/3)^(k+1).
        assert_eq!(negbin_quantile(2.0, 6.0, 0.5), 1.0);
        assert_eq!(negbin_quantile(2.0, 6.0, 0.9), 5.0);
        assert_eq!(negbin_quantile(0.0, 1.0, 0.9), 0.0);
        let big = negbin_quantile(1e4, 1e4, 0.5);
        assert!((big - 1e4).abs() <= 1.0);
    }

    #[test]
    fn cdf_inverts_ppf() {
        for i in 1..100 {
            let p = i as f64 / 100.0;
            assert!((norm_cdf(norm_ppf(p)) - p).abs() < 1e-14);
        }
        assert!((norm_pdf(0.0) - 0.398_942_280_401_432_7).abs() < 1e-15);
    }

    #[test]
    fn chi_square_tail_near_exact() {
        // Exact tails: χ²(25) ≥ 37.652 is 0.05, χ²(10) ≥ 23.209 is 0.01,
        // χ²(25) ≥ 24.337 is 0.5.
        assert!((chi2_sf(37.652, 25.0) - 0.05).abs() < 0.002);
        assert!((chi2_sf(23.209, 10.0) - 0.01).abs() < 0.002);
        assert!((chi2_sf(24.337, 25.0) - 0.5).abs() < 0.005);
        assert_eq!(chi2_sf(0.0, 5.0), 1.0);
        assert!(chi2_sf(1.0, 0.0).is_nan());
    }
}
