//! Arithmetic, geometric and harmonic means.

use std::str::FromStr;

use crate::Error;

/// Which mean `compute_mean` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MeanType {
    Arithmetic,
    Geometric,
    Harmonic,
}

impl FromStr for MeanType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "arithmetic" => Ok(MeanType::Arithmetic),
            "geometric" => Ok(MeanType::Geometric),
            "harmonic" => Ok(MeanType::Harmonic),
            other => Err(Error::invalid(
                "mean_type",
                format!("expected arithmetic, geometric or harmonic, found '{other}'"),
            )),
        }
    }
}

/// The mean of `values`, or why there is none.
pub(crate) fn mean(values: &[f64], kind: MeanType) -> Result<f64, String> {
    if values.is_empty() {
        return Err("the query returned no data points".to_owned());
    }
    let n = values.len() as f64;
    if kind != MeanType::Arithmetic {
        if let Some(bad) = values.iter().find(|v| v.is_nan() || **v <= 0.0) {
            return Err(format!(
                "the {} mean needs values above zero, found {bad}",
                if kind == MeanType::Geometric {
                    "geometric"
                } else {
                    "harmonic"
                }
            ));
        }
    }
    Ok(match kind {
        MeanType::Arithmetic => sum(values.iter().copied()) / n,
        MeanType::Geometric => (sum(values.iter().map(|v| v.ln())) / n).exp(),
        MeanType::Harmonic => n / sum(values.iter().map(|v| 1.0 / v)),
    })
}

/// A compensated (Neumaier) sum, so that long series of samples do not
/// lose precision.
fn sum(values: impl Iterator<Item = f64>) -> f64 {
    let (mut total, mut compensation) = (0.0f64, 0.0f64);
    for v in values {
        let t = total + v;
        compensation += if total.abs() >= v.abs() {
            (total - t) + v
        } else {
            (v - t) + total
        };
        total = t;
    }
    total + compensation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_means() {
        let values = [1.0, 2.0, 4.0];
        assert_eq!(mean(&values, MeanType::Arithmetic), Ok(7.0 / 3.0));
        let g = mean(&values, MeanType::Geometric).unwrap();
        assert!((g - 2.0).abs() < 1e-12, "{g}");
        let h = mean(&values, MeanType::Harmonic).unwrap();
        assert!((h - 3.0 / 1.75).abs() < 1e-12, "{h}");
    }

    #[test]
    fn values_a_mean_cannot_take() {
        assert!(
            mean(&[], MeanType::Arithmetic)
                .unwrap_err()
                .contains("no data points")
        );
        for kind in [MeanType::Geometric, MeanType::Harmonic] {
            assert!(mean(&[1.0, 0.0], kind).unwrap_err().contains("found 0"));
            assert!(mean(&[1.0, -2.0], kind).unwrap_err().contains("found -2"));
            assert!(mean(&[f64::NAN], kind).is_err());
        }
        assert_eq!(mean(&[-1.0, 1.0], MeanType::Arithmetic), Ok(0.0));
        assert!(
            "median"
                .parse::<MeanType>()
                .unwrap_err()
                .to_string()
                .contains("found 'median'")
        );
    }

    #[test]
    fn the_sum_is_compensated() {
        let values = [1e16, 1.0, -1e16, 1.0];
        assert_eq!(sum(values.into_iter()), 2.0);
    }
}
