//! Settings to try: grid files and the built-in grids.
//!
//! A grid is a JSON object naming a family and, for each setting, one value or a list of
//! candidate values; the grid is every combination. A file may also hold a list of such
//! objects (tried in turn). A setting whose value is itself a list (`hidden_layers`) lists
//! its candidates as a list of lists.
//!
//! ```json
//! {"model": "svm", "c": [1, 10, 100], "gamma": ["scale", 0.01]}
//! ```

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::models::ModelSpec;

/// A grid cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum GridError {
    /// The file cannot be read.
    #[error("cannot read grid {path}")]
    Io {
        /// The grid file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("grid {path} is not valid JSON")]
    Json {
        /// The grid file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A grid entry is malformed or names an unknown family or setting.
    #[error("grid {origin}: {message}")]
    Invalid {
        /// The grid file or "built-in grid".
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// Every setting described by one grid object or a list of them.
pub fn expand(grid: &Value, origin: &str) -> Result<Vec<ModelSpec>, GridError> {
    let invalid = |message: String| GridError::Invalid {
        origin: origin.to_string(),
        message,
    };
    let objects: Vec<&Map<String, Value>> = match grid {
        Value::Object(object) => vec![object],
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_object()
                    .ok_or_else(|| invalid("each grid entry must be a JSON object".into()))
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(invalid(
                "a grid is a JSON object or a list of objects".into(),
            ))
        }
    };
    let mut specs = Vec::new();
    for object in objects {
        let family = object.get("model").and_then(Value::as_str).ok_or_else(|| {
            invalid(
                "each grid entry needs \"model\": logistic, mlp, forest, boosting or svm".into(),
            )
        })?;
        let mut combinations: Vec<Map<String, Value>> = vec![Map::new()];
        for (key, value) in object {
            if key == "model" {
                continue;
            }
            let candidates: Vec<Value> = match value {
                Value::Array(items) if !items.is_empty() => items.clone(),
                Value::Array(_) => return Err(invalid(format!("\"{key}\" lists no values"))),
                single => vec![single.clone()],
            };
            combinations = combinations
                .into_iter()
                .flat_map(|partial| {
                    candidates.iter().map(move |candidate| {
                        let mut next = partial.clone();
                        next.insert(key.clone(), candidate.clone());
                        next
                    })
                })
                .collect();
        }
        for mut combination in combinations {
            combination.insert("model".to_string(), Value::String(family.to_string()));
            let spec: ModelSpec = serde_json::from_value(Value::Object(combination.clone()))
                .map_err(|error| invalid(format!("{error} in {}", Value::Object(combination))))?;
            specs.push(spec);
        }
    }
    Ok(specs)
}

/// Reads and expands a grid file.
pub fn read_grid(path: &Path) -> Result<Vec<ModelSpec>, GridError> {
    let text = std::fs::read_to_string(path).map_err(|source| GridError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| GridError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    expand(&value, &path.display().to_string())
}

/// The built-in grid of a family (`auto`: all families'), as JSON text.
pub fn builtin_grid_text(family: &str) -> Option<&'static str> {
    Some(match family {
        "logistic" => r#"{"model": "logistic", "c": [0.1, 1, 10, 100]}"#,
        "mlp" => {
            r#"{"model": "mlp", "hidden_layers": [[32], [128]], "activation": ["relu", "tanh"], "alpha": [0.0001, 0.01]}"#
        }
        "forest" => {
            r#"{"model": "forest", "trees": 300, "max_features": ["sqrt", 0.5], "min_samples_leaf": [1, 3]}"#
        }
        "boosting" => {
            r#"{"model": "boosting", "rounds": [200, 300], "learning_rate": 0.1, "max_leaf_nodes": [15, 31]}"#
        }
        "svm" => {
            r#"{"model": "svm", "c": [10, 30, 100, 300], "gamma": ["scale", 0.02, 0.01, 0.005]}"#
        }
        _ => return None,
    })
}

/// The built-in grid of a family, or of every family for `auto`.
pub fn builtin_grid(family: &str) -> Result<Vec<ModelSpec>, GridError> {
    let families: Vec<&str> = if family == "auto" {
        vec!["logistic", "mlp", "forest", "boosting", "svm"]
    } else {
        vec![family]
    };
    let mut specs = Vec::new();
    for name in families {
        let text = builtin_grid_text(name).ok_or_else(|| GridError::Invalid {
            origin: "built-in grid".to_string(),
            message: format!(
                "unknown model \"{name}\" (logistic, mlp, forest, boosting, svm or auto)"
            ),
        })?;
        let value: Value = serde_json::from_str(text).expect("built-in grids are valid JSON");
        specs.extend(expand(&value, "built-in grid")?);
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_is_every_combination() {
        let grid: Value =
            serde_json::from_str(r#"{"model": "svm", "c": [1, 10, 100], "gamma": ["scale", 0.5]}"#)
                .unwrap();
        let specs = expand(&grid, "test").unwrap();
        assert_eq!(specs.len(), 6);
        assert!(specs.iter().all(|s| s.family() == "svm"));
    }

    #[test]
    fn unknown_settings_and_families_are_named() {
        let grid: Value = serde_json::from_str(r#"{"model": "svm", "cc": [1]}"#).unwrap();
        let message = expand(&grid, "g.json").unwrap_err().to_string();
        assert!(message.contains("cc"), "{message}");
        let grid: Value = serde_json::from_str(r#"{"model": "knn"}"#).unwrap();
        assert!(expand(&grid, "g.json")
            .unwrap_err()
            .to_string()
            .contains("knn"));
    }

    #[test]
    fn every_builtin_grid_expands() {
        for family in ["logistic", "mlp", "forest", "boosting", "svm", "auto"] {
            assert!(!builtin_grid(family).unwrap().is_empty(), "{family}");
        }
        assert!(builtin_grid("knn").is_err());
    }
}
