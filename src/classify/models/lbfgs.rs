//! Limited-memory BFGS (Nocedal and Wright, *Numerical Optimization*, 2nd ed., algorithms 7.4
//! and 7.5) with a backtracking Armijo line search: the smooth minimiser behind logistic
//! regression. Sequential and deterministic.

/// When to stop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LbfgsOptions {
    /// Most iterations.
    pub max_iterations: usize,
    /// Stop when the largest gradient component is below this.
    pub gradient_tolerance: f64,
    /// Correction pairs kept.
    pub memory: usize,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimises `objective`, which returns the value at `x` and writes the gradient; starts at
/// `x`, returns the minimiser found.
pub(crate) fn minimise<F>(mut x: Vec<f64>, options: LbfgsOptions, mut objective: F) -> Vec<f64>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let n = x.len();
    let mut gradient = vec![0.0; n];
    let mut value = objective(&x, &mut gradient);
    let mut history: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> =
        std::collections::VecDeque::new();
    let mut trial = vec![0.0; n];
    let mut trial_gradient = vec![0.0; n];
    for iteration in 0..options.max_iterations {
        let largest = gradient.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        if largest < options.gradient_tolerance {
            break;
        }
        // Two-loop recursion: direction = -H * gradient.
        let mut direction: Vec<f64> = gradient.iter().map(|g| -g).collect();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let alpha = rho * dot(s, &direction);
            for (d, yi) in direction.iter_mut().zip(y) {
                *d -= alpha * yi;
            }
            alphas.push(alpha);
        }
        if let Some((s, y, _)) = history.back() {
            let gamma = dot(s, y) / dot(y, y);
            direction.iter_mut().for_each(|d| *d *= gamma);
        }
        for ((s, y, rho), alpha) in history.iter().zip(alphas.iter().rev()) {
            let beta = rho * dot(y, &direction);
            for (d, si) in direction.iter_mut().zip(s) {
                *d += (alpha - beta) * si;
            }
        }
        let mut slope = dot(&gradient, &direction);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            history.clear();
            direction = gradient.iter().map(|g| -g).collect();
            slope = -dot(&gradient, &gradient);
        }
        let mut step = if iteration == 0 && history.is_empty() {
            1.0 / largest.max(1.0)
        } else {
            1.0
        };
        let mut accepted = false;
        for _ in 0..60 {
            for i in 0..n {
                trial[i] = x[i] + step * direction[i];
            }
            let trial_value = objective(&trial, &mut trial_gradient);
            if trial_value.is_finite() && trial_value <= value + 1e-4 * step * slope {
                let s: Vec<f64> = (0..n).map(|i| trial[i] - x[i]).collect();
                let y: Vec<f64> = (0..n).map(|i| trial_gradient[i] - gradient[i]).collect();
                let sy = dot(&s, &y);
                if sy > 1e-12 * dot(&y, &y).max(f64::MIN_POSITIVE) {
                    if history.len() == options.memory {
                        history.pop_front();
                    }
                    history.push_back((s, y, 1.0 / sy));
                }
                let decrease = value - trial_value;
                std::mem::swap(&mut x, &mut trial);
                std::mem::swap(&mut gradient, &mut trial_gradient);
                value = trial_value;
                accepted = decrease > 1e-15 * value.abs().max(1.0);
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_the_rosenbrock_function() {
        // Minimum at (1, 1), known in closed form.
        let options = LbfgsOptions {
            max_iterations: 500,
            gradient_tolerance: 1e-10,
            memory: 10,
        };
        let x = minimise(vec![-1.2, 1.0], options, |x, g| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        });
        assert!(
            (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6,
            "{x:?}"
        );
    }
}
