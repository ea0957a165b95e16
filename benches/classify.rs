//! Training and prediction time of every model family on a synthetic table shaped like the
//! bloodcells one (5 classes, 33 features, 4,000 rows, imbalanced). Timings for
//! docs/classification.md come from benches/sklearn/run.sh on the real table; this bench
//! tracks regressions.

use criterion::{criterion_group, criterion_main, Criterion};
use hemato::classify::{FeatureTable, Model, ModelSpec};
use ndarray::Array2;

fn synthetic_table(rows: usize) -> FeatureTable {
    let mut state = 12345u64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let names = [
        "Neutrophil",
        "Lymphocyte",
        "Eosinophil",
        "Monocyte",
        "Basophil",
    ];
    let shares = [0.61, 0.24, 0.07, 0.06, 0.02];
    let mut labels = Vec::with_capacity(rows);
    let mut data = Array2::zeros((rows, 33));
    for i in 0..rows {
        let u = uniform();
        let mut class = 0;
        let mut cumulative = 0.0;
        for (c, share) in shares.iter().enumerate() {
            cumulative += share;
            if u < cumulative {
                class = c;
                break;
            }
        }
        for f in 0..33 {
            let centre = ((class * 7 + f * 3) % 5) as f64 * 0.6;
            data[[i, f]] = centre + (uniform() + uniform() + uniform() - 1.5) * 2.0;
        }
        labels.push(names[class].to_string());
    }
    FeatureTable {
        feature_names: (0..33).map(|f| format!("feature {f}")).collect(),
        rows: data,
        labels: Some(labels),
        ids: (1..=rows).map(|i| i.to_string()).collect(),
    }
}

fn bench_families(c: &mut Criterion) {
    let table = synthetic_table(4000);
    let settings = [
        r#"{"model": "logistic"}"#,
        r#"{"model": "mlp"}"#,
        r#"{"model": "forest"}"#,
        r#"{"model": "boosting"}"#,
        r#"{"model": "svm", "c": 100, "gamma": 0.01}"#,
    ];
    let mut group = c.benchmark_group("classify_fit_4000x33");
    group.sample_size(10);
    for text in settings {
        let spec: ModelSpec = serde_json::from_str(text).unwrap();
        group.bench_function(spec.family(), |b| {
            b.iter(|| Model::fit(&spec, &table, 0).unwrap())
        });
    }
    group.finish();
    let mut group = c.benchmark_group("classify_predict_4000x33");
    group.sample_size(10);
    for text in settings {
        let spec: ModelSpec = serde_json::from_str(text).unwrap();
        let model = Model::fit(&spec, &table, 0).unwrap();
        group.bench_function(spec.family(), |b| {
            b.iter(|| model.predict_proba(table.rows.view()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_families);
criterion_main!(benches);
