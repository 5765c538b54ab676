//! Tail probabilities used by the tests of significance: the standard normal (Gi* p-values) and the
//! binomial (the conditional test behind [`crate::analysis::trend`]).

/// P(Z > z) for a standard normal Z (scipy's `norm.sf`), accurate in the far tail.
pub fn normal_sf(z: f64) -> f64 {
    0.5 * libm::erfc(z / std::f64::consts::SQRT_2)
}

/// ln P(X = k) for X ~ Binomial(n, p), with 0 < p < 1.
fn binomial_ln_pmf(k: u64, n: u64, p: f64) -> f64 {
    let (k, n) = (k as f64, n as f64);
    libm::lgamma(n + 1.0) - libm::lgamma(k + 1.0) - libm::lgamma(n - k + 1.0)
        + k * p.ln()
        + (n - k) * (-p).ln_1p()
}

/// Two-sided exact binomial test of `k` successes in `n` trials against success probability `p`:
/// the total probability of every outcome no more likely than the one observed — the rule of R's
/// `binom.test` and scipy's `binomtest` (outcomes within a relative 1e-7 of the observed
/// probability count as equally likely).
pub fn binomial_two_sided_p(k: u64, n: u64, p: f64) -> f64 {
    assert!(k <= n, "k ≤ n");
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let observed = binomial_ln_pmf(k, n, p);
    let threshold = observed + (1.0 + 1e-7f64).ln();
    let mut total = 0.0;
    for i in 0..=n {
        let lp = binomial_ln_pmf(i, n, p);
        if lp <= threshold {
            total += lp.exp();
        }
    }
    total.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_matches_known_values() {
        assert!((normal_sf(0.0) - 0.5).abs() < 1e-16);
        // Φ(−1.959963984540054) = 0.025
        assert!((normal_sf(1.959_963_984_540_054) - 0.025).abs() < 1e-15);
        // Far tail keeps relative accuracy: P(Z > 10) = 7.619853024160527e-24.
        assert!((normal_sf(10.0) / 7.619_853_024_160_527e-24 - 1.0).abs() < 1e-12);
    }

    #[test]
    fn binomial_test_matches_scipy() {
        // scipy 1.17.1: scipy.stats.binomtest(k, n, p).pvalue
        let cases = [
            (3, 10, 0.5, 0.34375),
            (2, 20, 0.3, 0.052_627_948_729_727_06),
            (130, 200, 0.5, 2.652_875_559_526_872_7e-5),
            (48, 100, 0.45, 0.548_369_037_696_490_5),
            (0, 7, 0.5, 0.015625),
            (1000, 1900, 0.5, 0.023_108_845_108_901_193),
        ];
        for (k, n, p, expected) in cases {
            let got = binomial_two_sided_p(k, n, p);
            assert!(
                (got / expected - 1.0).abs() < 1e-9,
                "{k}/{n} p={p}: {got} vs {expected}"
            );
        }
        assert!((normal_sf(3.2) / 0.000_687_137_937_915_847_1 - 1.0).abs() < 1e-13);
    }
}
