//! Splitting work between the tasks of a scheduler's job array.
//!
//! A shard is `I/N`: task `I` (0-based) of `N`. With several slides, slide `k` of the list goes
//! to shard `k mod N`, and every shard finishes its slides completely. With one slide, its tiles
//! (in row-major order) are cut into `N` contiguous ranges of nearly equal length; shard `I`
//! analyses range `I` and `hemato merge` joins the shards' checkpoints into the final output.
//!
//! `--shard auto` takes `I` and `N` from the environment of a Slurm job array
//! (`SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`, and `SLURM_ARRAY_TASK_COUNT`);
//! `--shard auto/N` takes only `I` from the environment: Slurm's task id, or Kubernetes'
//! `JOB_COMPLETION_INDEX` (Indexed Jobs). Where the scheduler does not say how many tasks there
//! are (Kubernetes), `--shard auto` reads `N` from [`COUNT_VARIABLE`] (`HEMATO_SHARD_COUNT`; set it
//! to the Job's `completions`).

use std::ops::Range;

/// The environment variable that gives the number of tasks to `--shard auto` when the scheduler
/// does not (Kubernetes Indexed Jobs: set it to the Job's `completions`).
pub const COUNT_VARIABLE: &str = "HEMATO_SHARD_COUNT";

/// One task of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 0-based task number.
    pub index: usize,
    /// Number of tasks.
    pub count: usize,
}

/// A shard specification that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// Not `I/N`, `auto` or `auto/N`.
    #[error("invalid shard {0:?}: give I/N (0-based task I of N), auto or auto/N")]
    Syntax(String),
    /// `I` is not below `N`, or `N` is 0.
    #[error("shard {index}/{count}: the index must be at least 0 and below the count")]
    OutOfRange {
        /// The index given.
        index: usize,
        /// The count given.
        count: usize,
    },
    /// `auto` without a scheduler's variables.
    #[error(
        "--shard auto: {0}; run inside a Slurm job array (SLURM_ARRAY_TASK_ID, \
         SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with auto/N)"
    )]
    Environment(String),
}

impl Shard {
    /// A checked shard.
    pub fn new(index: usize, count: usize) -> Result<Shard, ShardError> {
        if count == 0 || index >= count {
            return Err(ShardError::OutOfRange { index, count });
        }
        Ok(Shard { index, count })
    }

    /// Parses `I/N`, `auto` or `auto/N`; `variable` looks up environment variables.
    ///
    /// ```
    /// use hemato::slide::shard::Shard;
    /// let none = |_: &str| None;
    /// assert_eq!(Shard::parse("2/5", none).unwrap(), Shard { index: 2, count: 5 });
    /// let slurm = |name: &str| match name {
    ///     "SLURM_ARRAY_TASK_ID" => Some("4".to_string()),
    ///     "SLURM_ARRAY_TASK_MIN" => Some("1".to_string()),
    ///     "SLURM_ARRAY_TASK_COUNT" => Some("8".to_string()),
    ///     _ => None,
    /// };
    /// assert_eq!(Shard::parse("auto", slurm).unwrap(), Shard { index: 3, count: 8 });
    /// let kubernetes = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| "6".to_string());
    /// assert_eq!(Shard::parse("auto/10", kubernetes).unwrap(), Shard { index: 6, count: 10 });
    /// let kubernetes_with_count = |name: &str| match name {
    ///     "JOB_COMPLETION_INDEX" => Some("6".to_string()),
    ///     "HEMATO_SHARD_COUNT" => Some("12".to_string()),
    ///     _ => None,
    /// };
    /// assert_eq!(Shard::parse("auto", kubernetes_with_count).unwrap(), Shard { index: 6, count: 12 });
    /// ```
    pub fn parse(
        text: &str,
        variable: impl Fn(&str) -> Option<String>,
    ) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(text.to_string());
        let number = |value: &str| value.trim().parse::<usize>().map_err(|_| syntax());
        let (first, second) = match text.split_once('/') {
            Some((first, second)) => (first.trim(), Some(second.trim())),
            None => (text.trim(), None),
        };
        if first != "auto" {
            let count = second.ok_or_else(syntax)?;
            return Shard::new(number(first)?, number(count)?);
        }
        let read = |name: &str| -> Result<Option<usize>, ShardError> {
            match variable(name) {
                None => Ok(None),
                Some(value) => value.trim().parse::<usize>().map(Some).map_err(|_| {
                    ShardError::Environment(format!("{name}={value:?} is not a whole number"))
                }),
            }
        };
        let slurm_id = read("SLURM_ARRAY_TASK_ID")?;
        let index = match (slurm_id, read("JOB_COMPLETION_INDEX")?) {
            (Some(id), _) => {
                let minimum = read("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                id.checked_sub(minimum).ok_or_else(|| {
                    ShardError::Environment(format!(
                        "SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {minimum}"
                    ))
                })?
            }
            (None, Some(index)) => index,
            (None, None) => {
                return Err(ShardError::Environment(
                    "no task index in the environment".to_string(),
                ))
            }
        };
        let count = match second {
            Some(count) => number(count)?,
            None => match (slurm_id, read("SLURM_ARRAY_TASK_COUNT")?) {
                (Some(_), Some(count)) => count,
                _ => read(COUNT_VARIABLE)?.ok_or_else(|| {
                    ShardError::Environment(format!(
                        "the number of tasks is unknown; give it as auto/N or in {COUNT_VARIABLE}"
                    ))
                })?,
            },
        };
        Shard::new(index, count)
    }

    /// Whether slide `position` of a list belongs to this shard.
    pub fn has_slide(&self, position: usize) -> bool {
        position % self.count == self.index
    }

    /// This shard's contiguous range of `len` items (tiles).
    ///
    /// ```
    /// use hemato::slide::shard::Shard;
    /// let ranges: Vec<_> = (0..3).map(|i| Shard { index: i, count: 3 }.range(10)).collect();
    /// assert_eq!(ranges, vec![0..3, 3..6, 6..10]);
    /// ```
    pub fn range(&self, len: usize) -> Range<usize> {
        let start = len * self.index / self.count;
        let end = len * (self.index + 1) / self.count;
        start..end
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_partition_the_items() {
        for count in 1..8 {
            for len in [0, 1, 5, 17] {
                let mut covered = Vec::new();
                for index in 0..count {
                    covered.extend(Shard { index, count }.range(len));
                }
                assert_eq!(covered, (0..len).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn bad_shards_are_errors() {
        let none = |_: &str| None;
        assert!(matches!(
            Shard::parse("3/3", none),
            Err(ShardError::OutOfRange { .. })
        ));
        assert!(matches!(
            Shard::parse("1/0", none),
            Err(ShardError::OutOfRange { .. })
        ));
        assert!(matches!(
            Shard::parse("x/3", none),
            Err(ShardError::Syntax(_))
        ));
        assert!(matches!(
            Shard::parse("3", none),
            Err(ShardError::Syntax(_))
        ));
        assert!(matches!(
            Shard::parse("auto", none),
            Err(ShardError::Environment(_))
        ));
        let kubernetes = |name: &str| (name == "JOB_COMPLETION_INDEX").then(|| "1".to_string());
        // Kubernetes does not say how many tasks there are.
        assert!(matches!(
            Shard::parse("auto", kubernetes),
            Err(ShardError::Environment(_))
        ));
    }

    #[test]
    fn slides_go_round_robin() {
        let shard = Shard { index: 1, count: 3 };
        let mine: Vec<usize> = (0..8).filter(|&k| shard.has_slide(k)).collect();
        assert_eq!(mine, vec![1, 4, 7]);
    }
}
