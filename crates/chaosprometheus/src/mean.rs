//! Arithmetic, geometric and harmonic means.

use std::str::FromStr;

use crate::Error;
use crate::tolerances::number_text;

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

/// The mean of `values`, or why there is none. NaN and infinities are
/// refused: their mean is no number a journal can hold, and the
/// compensated sum turns an infinity into NaN.
pub(crate) fn mean(values: &[f64], kind: MeanType) -> Result<f64, String> {
    if values.is_empty() {
        return Err("the query returned no data points".to_owned());
    }
    let name = match kind {
        MeanType::Arithmetic => "arithmetic",
        MeanType::Geometric => "geometric",
        MeanType::Harmonic => "harmonic",
    };
    if kind != MeanType::Arithmetic {
        if let Some(bad) = values.iter().find(|v| v.is_nan() || **v <= 0.0) {
            return Err(format!(
                "the {name} mean needs values above zero, found {}",
                number_text(*bad)
            ));
        }
    }
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(format!(
            "the {name} mean needs finite values, found {}",
            number_text(*bad)
        ));
    }
    let n = values.len() as f64;
    let result = match kind {
        MeanType::Arithmetic => sum(values.iter().copied()) / n,
        MeanType::Geometric => (sum(values.iter().map(|v| v.ln())) / n).exp(),
        MeanType::Harmonic => n / sum(values.iter().map(|v| 1.0 / v)),
    };
    if !result.is_finite() {
        // Only a sum past the largest float gets here (the compensated
        // sum then gives NaN).
        return Err(format!(
            "the {name} mean of these values overflows a 64-bit number"
        ));
    }
    Ok(result)
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
        // Infinities and NaN have no mean a journal can hold: the
        // compensated sum made [+Inf, 1] NaN, which became null.
        for (values, found) in [
            (&[f64::INFINITY, 1.0][..], "found +Inf"),
            (&[1.0, f64::NEG_INFINITY][..], "found -Inf"),
            (&[f64::NAN][..], "found NaN"),
        ] {
            let err = mean(values, MeanType::Arithmetic).unwrap_err();
            assert!(err.contains(found), "{values:?}: {err}");
        }
        let err = mean(&[f64::INFINITY], MeanType::Geometric).unwrap_err();
        assert!(err.contains("finite values, found +Inf"), "{err}");
        assert!(
            mean(&[f64::NEG_INFINITY], MeanType::Harmonic)
                .unwrap_err()
                .contains("above zero, found -Inf")
        );
        let err = mean(&[f64::MAX, f64::MAX], MeanType::Arithmetic).unwrap_err();
        assert!(err.contains("overflows a 64-bit number"), "{err}");
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
