//! The slow-migration estimate: with a daily login probability P, the share of users
//! migrated after D days is S = 1 - (1 - P)^D.

use crate::error::{Error, Result};

fn check_probability(p: f64) -> Result<()> {
    if p.is_finite() && p > 0.0 && p <= 1.0 {
        Ok(())
    } else {
        Err(Error::argument(format!(
            "the daily login probability must be in (0, 1], not {p}"
        )))
    }
}

/// The share of users migrated after `days` days when each logs in on a given day with
/// probability `probability`.
///
/// # Example
/// ```
/// let s = cognito_fusionauth::estimate(0.1, 7.0)?;
/// assert!((s - 0.5217031).abs() < 1e-6);
/// # Ok::<(), cognito_fusionauth::Error>(())
/// ```
///
/// # Errors
/// When `probability` is not in (0, 1] or `days` is negative or not finite.
pub fn estimate(probability: f64, days: f64) -> Result<f64> {
    check_probability(probability)?;
    if !(days.is_finite() && days >= 0.0) {
        return Err(Error::argument(format!(
            "days must be zero or more, not {days}"
        )));
    }
    Ok(1.0 - (1.0 - probability).powf(days))
}

/// The days needed to migrate the share `target` of users: D = ln(1 - S) / ln(1 - P).
///
/// # Example
/// ```
/// let d = cognito_fusionauth::days_to_reach(0.1, 0.9)?;
/// assert!((d - 21.854).abs() < 1e-3);
/// # Ok::<(), cognito_fusionauth::Error>(())
/// ```
///
/// # Errors
/// When `probability` is not in (0, 1] or `target` is not in [0, 1).
pub fn days_to_reach(probability: f64, target: f64) -> Result<f64> {
    check_probability(probability)?;
    if !(target.is_finite() && (0.0..1.0).contains(&target)) {
        return Err(Error::argument(format!(
            "the target share must be in [0, 1) (every last user is never certain), not {target}"
        )));
    }
    if target == 0.0 {
        return Ok(0.0);
    }
    if probability == 1.0 {
        return Ok(1.0);
    }
    Ok((1.0 - target).ln() / (1.0 - probability).ln())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_and_inverse_agree() {
        for p in [0.01, 0.05, 0.3, 0.99] {
            for d in [1.0, 7.0, 30.0, 365.0] {
                let s = estimate(p, d).unwrap();
                if s < 1.0 - 1e-9 {
                    assert!(
                        (days_to_reach(p, s).unwrap() - d).abs() < 1e-6,
                        "p={p} d={d}"
                    );
                }
            }
        }
        assert_eq!(estimate(1.0, 1.0).unwrap(), 1.0);
        assert_eq!(estimate(0.2, 0.0).unwrap(), 0.0);
        assert_eq!(days_to_reach(1.0, 0.5).unwrap(), 1.0);
        assert_eq!(days_to_reach(0.5, 0.0).unwrap(), 0.0);
    }

    #[test]
    fn out_of_range_arguments_are_errors() {
        assert!(estimate(0.0, 3.0).is_err());
        assert!(estimate(1.5, 3.0).is_err());
        assert!(estimate(f64::NAN, 3.0).is_err());
        assert!(estimate(0.5, -1.0).is_err());
        assert!(days_to_reach(0.5, 1.0).is_err());
        assert!(days_to_reach(0.5, -0.1).is_err());
    }
}
