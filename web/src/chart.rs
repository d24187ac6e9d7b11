//! The slow-migration chart: the share of users migrated after each day, as an SVG path.

use cognito_fusionauth::estimate;

/// The chart's drawing area in SVG units.
pub const WIDTH: f64 = 600.0;
/// See [`WIDTH`].
pub const HEIGHT: f64 = 200.0;

/// The path `M x,y L x,y …` of S(d) = 1-(1-P)^d for d = 0..=`days`, scaled to
/// [`WIDTH`] × [`HEIGHT`] (S = 1 at the top). Empty when the inputs are out of range.
pub fn curve(probability: f64, days: u32) -> String {
    if days == 0 {
        return String::new();
    }
    let steps = days.min(300);
    let mut path = String::new();
    for step in 0..=steps {
        let day = f64::from(step) * f64::from(days) / f64::from(steps);
        let Ok(share) = estimate(probability, day) else {
            return String::new();
        };
        let x = day / f64::from(days) * WIDTH;
        let y = (1.0 - share) * HEIGHT;
        path.push_str(&format!(
            "{}{x:.1},{y:.1} ",
            if step == 0 { 'M' } else { 'L' }
        ));
    }
    path.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_starts_at_zero_and_rises() {
        let path = curve(0.1, 30);
        assert!(path.starts_with("M0.0,200.0 L"), "{path}");
        let last = path.rsplit(' ').next().unwrap();
        // 1 - 0.9^30 = 0.958 → y = 8.5
        assert_eq!(last, "L600.0,8.5");
    }

    #[test]
    fn out_of_range_inputs_draw_nothing() {
        assert_eq!(curve(1.5, 30), "");
        assert_eq!(curve(0.1, 0), "");
    }
}
