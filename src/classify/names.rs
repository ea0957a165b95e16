//! Column and class names in messages: the name a user probably meant, and long lists cut
//! short.
//!
//! A feature table from another tool often differs from what a model expects by a rename
//! (`Class` / `class`, `Mean red` / `Mean_red`, a suffix added by a spreadsheet). Listing every
//! column of a 175-column table hides that; naming the close one shows it.

/// The candidate that `wanted` most probably is under another spelling, if any: equal once
/// case, spaces, `_`, `-` and `.` are ignored, else within two edits (Levenshtein distance on
/// the lower-cased names, `strsim`) of a name at least five characters long. The closest wins;
/// ties go to the first candidate.
///
/// ```
/// use hemato::classify::names::closest;
///
/// let header = ["image".to_string(), "class".to_string(), "Mean_red".to_string()];
/// assert_eq!(closest("Class", &header), Some("class"));
/// assert_eq!(closest("Mean red", &header), Some("Mean_red"));
/// assert_eq!(closest("Area", &header), None);
/// ```
pub fn closest<'a>(wanted: &str, candidates: &'a [String]) -> Option<&'a str> {
    let folded = fold(wanted);
    if let Some(same) = candidates.iter().find(|c| fold(c) == folded) {
        return Some(same);
    }
    if wanted.chars().count() < 5 {
        return None;
    }
    let lower = wanted.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|&(distance, _)| distance <= 2)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c.as_str())
}

/// Lower case without spaces, `_`, `-` and `.`.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The names comma-separated, at most `limit` of them, then how many more there are.
///
/// ```
/// use hemato::classify::names::listed;
///
/// let names: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
/// assert_eq!(listed(&names, 4), "a, b, c, d");
/// assert_eq!(listed(&names, 2), "a, b and 2 more");
/// ```
pub fn listed(names: &[String], limit: usize) -> String {
    let shown = names[..names.len().min(limit)].join(", ");
    match names.len().saturating_sub(limit) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_renamed_column_is_found_and_an_unrelated_one_is_not() {
        let header = strings(&["image", "nucleus_areaX", "nucleus_perimeter", "StdDev red"]);
        assert_eq!(closest("nucleus_area", &header), Some("nucleus_areaX"));
        assert_eq!(closest("StdDev-Red", &header), Some("StdDev red"));
        assert_eq!(closest("nucleus_solidity", &header), None);
        // Short names need the same letters: "Area" is not "AR" or "Areas" by edits.
        assert_eq!(closest("Area", &strings(&["AR", "Areas"])), None);
    }

    #[test]
    fn the_closest_candidate_wins_and_ties_go_to_the_first() {
        let header = strings(&["neutrophils", "neutrophil2", "neutrophil"]);
        assert_eq!(closest("Neutrophil", &header), Some("neutrophil"));
        let header = strings(&["lymphocyteA", "lymphocyteB"]);
        assert_eq!(closest("lymphocyte", &header), Some("lymphocyteA"));
    }

    #[test]
    fn listing_no_names_is_empty() {
        assert_eq!(listed(&[], 3), "");
    }
}
