//! Number formatting of the table writers against independent references: ImageJ's own
//! `ResultsTable.d2s` (run from ImageJ's jar, `tests/goldens/measure/d2s/`) and the texts of the
//! real `bloodcells_train.csv` (written by pandas from ImageJ tables).

mod measure_support;

use std::path::Path;

use hemato::measure::table::{d2s, python_float_repr, BLOODCELLS_HEADER};

#[test]
fn d2s_matches_imagej_resultstable() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goldens/measure/d2s/expected.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in text.lines() {
        let mut fields = line.splitn(3, ';');
        let bits = u64::from_str_radix(fields.next().unwrap(), 16).unwrap();
        let decimals: i32 = fields.next().unwrap().parse().unwrap();
        let expected = fields.next().unwrap();
        let value = f64::from_bits(bits);
        let ours = d2s(value, decimals);
        if ours != expected {
            failures.push(format!(
                "{value:e} at {decimals}: imagej {expected}, ours {ours}"
            ));
        }
        checked += 1;
    }
    assert!(checked > 7000);
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

/// The dataset's numbers were ImageJ 3-decimal texts read and re-printed by Python: every float
/// text must be reproduced by reading it and printing it as Python does, and must be what
/// d2s(·, 3) gives for a value that prints so.
#[test]
fn bloodcells_numbers_print_as_in_the_dataset() {
    let path = measure_support::shared_data().join("bloodcells/bloodcells_train.csv");
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), BLOODCELLS_HEADER);
    let mut checked = 0;
    for line in lines {
        let cells: Vec<&str> = line.split(';').collect();
        assert_eq!(cells.len(), 35);
        for cell in &cells[1..34] {
            let value: f64 = cell.parse().unwrap();
            if cell.contains('.') {
                assert_eq!(python_float_repr(value), *cell);
                let imagej = d2s(value, 3);
                let reread: f64 = imagej.parse().unwrap();
                assert_eq!(python_float_repr(reread), *cell, "d2s gave {imagej}");
            }
            checked += 1;
        }
    }
    assert!(checked > 150_000);
}
