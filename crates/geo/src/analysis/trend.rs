//! 同比 / 环比: is a change in counts between two periods more than chance?
//!
//! Counts of independent events in two periods are modelled as Poisson with rates λ₁, λ₂. Given
//! their sum n = a + b, under "no change in rate" a ~ Binomial(n, L₁/(L₁+L₂)) where L are the period
//! lengths (the conditional test of Przyborowski–Wilenski, R's `poisson.test(c(a, b), c(L1, L2))`).
//! The two-sided exact p-value decides whether the brief calls the change real.

use serde::Serialize;

use super::stats::binomial_two_sided_p;

/// A change between a current and an earlier period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Events in the current period.
    pub current: u64,
    /// Events in the earlier period.
    pub previous: u64,
    /// (current − previous·L₁/L₂) / (previous·L₁/L₂): relative change of the rate; `None` when the
    /// earlier period had no events.
    pub relative: Option<f64>,
    /// Two-sided exact p-value of "same rate".
    pub p_value: f64,
    /// p_value < alpha.
    pub significant: bool,
}

/// Compares `current` events over a period of length `current_len` with `previous` events over
/// `previous_len` (any unit, e.g. days), at significance level `alpha`.
pub fn compare(
    current: u64,
    previous: u64,
    current_len: f64,
    previous_len: f64,
    alpha: f64,
) -> Change {
    let share = current_len / (current_len + previous_len);
    let p_value = if current + previous == 0 {
        1.0
    } else {
        binomial_two_sided_p(current, current + previous, share)
    };
    let expected = previous as f64 * current_len / previous_len;
    let relative = (previous > 0).then(|| (current as f64 - expected) / expected);
    Change {
        current,
        previous,
        relative,
        p_value,
        significant: p_value < alpha,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_not_a_trend_and_a_real_rise_is() {
        // 12 → 9 in equal periods: −25 % but well within chance.
        let c = compare(9, 12, 30.0, 30.0, 0.05);
        assert_eq!(c.relative, Some(-0.25));
        assert!(!c.significant && c.p_value > 0.5);
        // 130 vs 70: p = binomtest(130, 200, 0.5) ≈ 2.65e-5 (scipy).
        let c = compare(130, 70, 7.0, 7.0, 0.05);
        assert!(c.significant);
        assert!((c.p_value / 2.652_875_559_526_872_7e-5 - 1.0).abs() < 1e-9);
        // A 31-day month against a 30-day one: the rate, not the count, is compared.
        let c = compare(31, 30, 31.0, 30.0, 0.05);
        assert!(c.relative.unwrap().abs() < 1e-12);
        assert!(compare(0, 0, 1.0, 1.0, 0.05).p_value == 1.0);
        assert_eq!(compare(4, 0, 1.0, 1.0, 0.05).relative, None);
    }
}
