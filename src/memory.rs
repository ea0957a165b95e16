//! Whether a whole-image run fits in memory, checked from the image's header before any pixel
//! is decoded.
//!
//! `hemato count`, `measure`, `segment` and `features` hold an image whole, with several planes
//! of it (stain amounts, masks, the distance map, labels), and `hemato slide` decodes a slide
//! that is not a TIFF whole. An image too large for the machine's memory would not fail with a
//! message: the kernel's out-of-memory killer would end the process, or the machine would swap
//! for hours. So these commands read the image's size from its header, estimate the run's peak
//! memory from it ([`Footprint`], measured) and refuse the image with a clear error saying what
//! to do instead ([`Remedy`]: usually `hemato slide`, tiles in bounded memory), when the
//! estimate exceeds the memory available ([`available_bytes`]: the kernel's `MemAvailable`, or
//! less when a cgroup limits the process, as Slurm and Kubernetes do) or the limit the user
//! gave.
//!
//! ```
//! use hemato::memory::{check, Footprint, Limit};
//! // A 640 x 480 field fits in 1 GiB; 20,000 x 20,000 pixels do not.
//! let limit = Limit::Given(1 << 30);
//! assert!(check("field.png".as_ref(), 640, 480, Footprint::COUNT, limit).is_ok());
//! assert!(check("scan.png".as_ref(), 20_000, 20_000, Footprint::COUNT, limit).is_err());
//! ```

use std::path::{Path, PathBuf};

/// Peak memory of one whole-image run as a function of its pixels: `fixed + per_pixel · pixels`.
///
/// Fitted to peak RSS (`/usr/bin/time -f %M`) of release builds on square mosaics of a BCCD
/// field (16.8 and 67 MP), with about 10 % to spare (docs/architecture.md, "Memory of
/// whole-image runs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    /// Bytes that do not grow with the image (the program, the model, thread stacks).
    pub fixed: u64,
    /// Bytes per pixel of the image.
    pub per_pixel: u64,
    /// What the run does with the image, for the message ("count as one image").
    pub task: &'static str,
    /// What to do instead, for the message.
    pub remedy: Remedy,
}

/// What the message of [`TooLargeForMemory`] proposes instead of the whole-image run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// `hemato slide` with these options does the same in tiles in bounded memory.
    SlideInTiles {
        /// Options after the path, with a leading space ("" for the default analysis).
        options: &'static str,
    },
    /// The command wants single-cell images (`hemato features`): crop the cells out.
    CropCells,
    /// The image is already a slide, but not a TIFF, which is the only format `hemato slide`
    /// reads tile by tile: convert it.
    TiledTiff,
}

impl Remedy {
    /// The advice for the image at `path`.
    fn advice(&self, path: &Path) -> String {
        match self {
            Remedy::SlideInTiles { options } => format!(
                "`hemato slide` processes it in tiles in bounded memory (hemato slide {}{options} -o OUTDIR)",
                path.display()
            ),
            Remedy::CropCells => {
                "`hemato features` describes the cell in the middle of each image: crop the \
                 cells of interest out of it"
                    .to_string()
            }
            Remedy::TiledTiff => "a TIFF is read tile by tile: convert the slide to a tiled TIFF \
                 (e.g. `vips tiffsave SLIDE out.tif --tile --bigtiff --compression jpeg`)"
                .to_string(),
        }
    }
}

impl Footprint {
    /// `hemato count` (measured 526 MB at 16.8 MP, 1,841 MB at 67 MP).
    pub const COUNT: Footprint = Footprint {
        fixed: 128 << 20,
        per_pixel: 28,
        task: "count as one image",
        remedy: Remedy::SlideInTiles { options: "" },
    };

    /// `hemato segment` and `hemato measure` (measured 364 and 382 MB at 16.8 MP, `measure`
    /// 1,158 MB at 67 MP).
    pub const SEGMENT: Footprint = Footprint {
        fixed: 128 << 20,
        per_pixel: 18,
        task: "segment and measure as one image",
        remedy: Remedy::SlideInTiles {
            options: " --analysis stain-watershed",
        },
    };

    /// `hemato features` (the count's steps find the cell: measured 547 MB at 16.8 MP and
    /// 1,485 MB at 67 MP, within [`Footprint::COUNT`]'s estimate).
    pub const FEATURES: Footprint = Footprint {
        task: "describe as one image",
        remedy: Remedy::CropCells,
        ..Footprint::COUNT
    };

    /// `hemato slide` on a slide that is not a TIFF (PNG, JPEG, BMP), which is decoded whole
    /// before its tiles are cut from it. Measured on BCCD mosaics of 22 and 88 MP saved as PNG:
    /// 286 and 486 MB as RGB, 344 and 680 MB as RGBA, against 276 and 381 MB for the same
    /// slides as tiled TIFFs (read tile by tile). The fixed part is the tiles' working memory
    /// (bounded by the tile size and the threads: see `hemato slide`), the per-pixel part the
    /// decoded RGBA buffer and its RGB copy (measured slopes 3.0 B/px for RGB, 5.1 for RGBA).
    pub const SLIDE_DECODED_WHOLE: Footprint = Footprint {
        fixed: 384 << 20,
        per_pixel: 7,
        task: "decode whole, as `hemato slide` reads a PNG, JPEG or BMP slide",
        remedy: Remedy::TiledTiff,
    };

    /// Estimated peak bytes for an image of `width × height` pixels.
    pub fn bytes(&self, width: u64, height: u64) -> u64 {
        width
            .saturating_mul(height)
            .saturating_mul(self.per_pixel)
            .saturating_add(self.fixed)
    }
}

/// The memory a run may use, and where that figure came from (for the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// What the system has available now ([`available_bytes`]).
    Available(u64),
    /// What the user allowed (`--max-memory`).
    Given(u64),
}

impl Limit {
    /// The user's limit when given, else the memory available now; `None` when neither is
    /// known (a system without `/proc/meminfo`), in which case nothing is checked.
    pub fn resolve(given: Option<u64>) -> Option<Limit> {
        match given {
            Some(bytes) => Some(Limit::Given(bytes)),
            None => available_bytes().map(Limit::Available),
        }
    }

    /// The limit in bytes.
    pub fn bytes(&self) -> u64 {
        match *self {
            Limit::Available(bytes) | Limit::Given(bytes) => bytes,
        }
    }

    /// Where the limit came from, after its size in messages ("8.0 GiB allowed by
    /// --max-memory").
    pub fn source(&self) -> &'static str {
        match self {
            Limit::Available(_) => "available",
            Limit::Given(_) => "allowed by --max-memory",
        }
    }
}

/// An image too large to process whole in the memory there is.
#[derive(Debug, thiserror::Error)]
#[error(
    "{path}: {width} x {height} pixels ({megapixels:.1} MP) needs about {needed} of memory to \
     {task}, more than the {limit} {limit_source}; {remedy}{advice}",
    task = footprint.task,
    remedy = footprint.remedy.advice(path),
    megapixels = (*width as f64) * (*height as f64) / 1e6,
    needed = human_bytes(*needed),
    limit = human_bytes(limit.bytes()),
    limit_source = limit.source(),
    advice = match limit {
        Limit::Available(_) => "; to run it whole anyway, free memory or give a larger --max-memory",
        Limit::Given(_) => "",
    },
    path = path.display()
)]
pub struct TooLargeForMemory {
    /// The image.
    pub path: PathBuf,
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
    /// Estimated peak bytes of the run.
    pub needed: u64,
    /// The limit it exceeds.
    pub limit: Limit,
    /// The run it was refused for.
    pub footprint: Footprint,
}

/// Checks that a `width × height` image at `path` can be processed whole within `limit`.
pub fn check(
    path: &Path,
    width: u64,
    height: u64,
    footprint: Footprint,
    limit: Limit,
) -> Result<(), TooLargeForMemory> {
    let needed = footprint.bytes(width, height);
    if needed <= limit.bytes() {
        return Ok(());
    }
    Err(TooLargeForMemory {
        path: path.to_path_buf(),
        width,
        height,
        needed,
        limit,
        footprint,
    })
}

/// Whether a batch whose images need `needs` bytes each can run `threads` images at a time
/// within `limit` bytes: the `threads` largest needs together fit. When they do not, the
/// batch runs one image at a time (each still with every thread on its own steps), which
/// gives the same outputs.
///
/// ```
/// // Two threads, 10 GiB: 6 + 5 GiB at once do not fit, 6 + 3 GiB do.
/// let gib = 1u64 << 30;
/// assert!(!hemato::memory::fit_together(&[3 * gib, 6 * gib, 5 * gib], 2, 10 * gib));
/// assert!(hemato::memory::fit_together(&[3 * gib, 6 * gib, 3 * gib], 2, 10 * gib));
/// ```
pub fn fit_together(needs: &[u64], threads: usize, limit: u64) -> bool {
    let mut largest = needs.to_vec();
    largest.sort_unstable_by(|a, b| b.cmp(a));
    largest
        .iter()
        .take(threads.max(1))
        .fold(0u64, |sum, &need| sum.saturating_add(need))
        <= limit
}

/// A byte count for people: "1.5 GiB", "640 MiB", "900 KiB".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// Parses a memory size as given on the command line: a number of bytes, or a number with a
/// unit `K`, `M`, `G` or `T` (powers of 1024; `KiB`, `GB`, ... are read the same way).
pub fn parse_size(text: &str) -> Result<u64, String> {
    parse_size::Config::new()
        .with_binary()
        .parse_size(text.trim())
        .map_err(|error| format!("{text:?} is not a memory size such as 8G or 512M ({error})"))
}

/// The memory this process can still take, in bytes: the kernel's `MemAvailable`, lowered to
/// the smallest headroom (limit minus usage) of the process's cgroup and its ancestors, in
/// cgroup v2 (`memory.max`, `memory.current`) and in v1's memory hierarchy
/// (`memory.limit_in_bytes`, `memory.usage_in_bytes`). Ancestors count because a job's limit
/// is often set above the process's own group: Slurm limits the job's group and runs its steps
/// in groups below it. `None` where `/proc/meminfo` cannot be read (not Linux).
pub fn available_bytes() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let machine = meminfo_available(&read("/proc/meminfo")?)?;
    let membership = read("/proc/self/cgroup").unwrap_or_default();
    let cgroup = [
        (cgroup_v2_path(&membership), CGROUP_V2),
        (cgroup_v1_memory_path(&membership), CGROUP_V1),
    ]
    .into_iter()
    .filter_map(|(group, files)| group_headroom(&group?, &files, read))
    .min();
    Some(cgroup.map_or(machine, |headroom| headroom.min(machine)))
}

/// Where a cgroup hierarchy is mounted and which files of a group hold its limit and usage.
struct CgroupFiles {
    mount: &'static str,
    limit: &'static str,
    usage: &'static str,
}

const CGROUP_V2: CgroupFiles = CgroupFiles {
    mount: "/sys/fs/cgroup",
    limit: "memory.max",
    usage: "memory.current",
};

const CGROUP_V1: CgroupFiles = CgroupFiles {
    mount: "/sys/fs/cgroup/memory",
    limit: "memory.limit_in_bytes",
    usage: "memory.usage_in_bytes",
};

/// The smallest headroom of `group` and its ancestors up to the mount's root, read with
/// `read`; `None` when none of them has a limit.
fn group_headroom(
    group: &str,
    files: &CgroupFiles,
    read: impl Fn(&str) -> Option<String>,
) -> Option<u64> {
    group_and_ancestors(group)
        .filter_map(|path| {
            let folder = format!("{}{path}", files.mount);
            cgroup_headroom(
                &read(&format!("{folder}/{}", files.limit))?,
                &read(&format!("{folder}/{}", files.usage))?,
            )
        })
        .min()
}

/// `/a/b` → `/a/b`, `/a`, `` (the root).
fn group_and_ancestors(group: &str) -> impl Iterator<Item = &str> {
    let group = group.trim_end_matches('/');
    std::iter::successors(Some(group), |path| {
        (!path.is_empty()).then(|| &path[..path.rfind('/').unwrap_or(0)])
    })
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn meminfo_available(meminfo: &str) -> Option<u64> {
    let line = meminfo
        .lines()
        .find(|line| line.starts_with("MemAvailable:"))?;
    let kibibytes: u64 = line
        .trim_start_matches("MemAvailable:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kibibytes.checked_mul(1024)
}

/// The path in v1's memory hierarchy of `/proc/self/cgroup` (its `N:...,memory,...:PATH` line).
fn cgroup_v1_memory_path(membership: &str) -> Option<String> {
    membership.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers
            .split(',')
            .any(|controller| controller == "memory")
            .then(|| path.trim().trim_end_matches('/').to_string())
    })
}

/// The cgroup v2 path of `/proc/self/cgroup` (its `0::PATH` line).
fn cgroup_v2_path(membership: &str) -> Option<String> {
    membership
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(|path| path.trim().trim_end_matches('/').to_string())
}

/// Limit minus usage, from the two files' texts; `None` without a limit (`max`, or v1's
/// "no limit" of nearly 2⁶³).
fn cgroup_headroom(limit: &str, usage: &str) -> Option<u64> {
    let limit: u64 = limit.trim().parse().ok()?;
    if limit >= 1 << 60 {
        return None;
    }
    let usage: u64 = usage.trim().parse().ok()?;
    Some(limit.saturating_sub(usage))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footprints_cover_the_measured_peaks() {
        // Peak RSS measured for the 4096² and 8192² mosaics (docs/architecture.md).
        let mib = |bytes: u64| bytes / (1 << 20);
        assert!(mib(Footprint::COUNT.bytes(4096, 4096)) >= 526_000_000 >> 20);
        assert!(mib(Footprint::COUNT.bytes(8192, 8192)) >= 1_841_000_000 >> 20);
        assert!(mib(Footprint::SEGMENT.bytes(4096, 4096)) >= 382_000_000 >> 20);
        assert!(mib(Footprint::SEGMENT.bytes(8192, 8192)) >= 1_158_000_000 >> 20);
        // `hemato slide` on the 22 and 88 MP mosaics saved as RGBA PNG (the larger peaks).
        let slide = Footprint::SLIDE_DECODED_WHOLE;
        assert!(mib(slide.bytes(5376, 4096)) >= 344_000_000 >> 20);
        assert!(mib(slide.bytes(10752, 8192)) >= 680_000_000 >> 20);
        assert!(mib(Footprint::FEATURES.bytes(4096, 4096)) >= 547_000_000 >> 20);
        assert!(mib(Footprint::FEATURES.bytes(8192, 8192)) >= 1_485_000_000 >> 20);
        // By hand: 128 MiB + 28 B × 10⁶ pixels.
        assert_eq!(Footprint::COUNT.bytes(1000, 1000), 134_217_728 + 28_000_000);
        assert_eq!(Footprint::COUNT.bytes(u64::MAX, 2), u64::MAX);
    }

    #[test]
    fn check_refuses_what_exceeds_the_limit_and_says_so() {
        let path = Path::new("scan.png");
        let limit = Limit::Given(8 << 30);
        // 20,000² pixels: 128 MiB + 28 × 4·10⁸ B = 11.3 GB > 8 GiB.
        let error = check(path, 20_000, 20_000, Footprint::COUNT, limit).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("20000 x 20000 pixels (400.0 MP)"),
            "{message}"
        );
        assert!(message.contains("needs about 11 GiB"), "{message}");
        assert!(
            message.contains("8.0 GiB allowed by --max-memory"),
            "{message}"
        );
        assert!(
            message.contains("hemato slide scan.png -o OUTDIR"),
            "{message}"
        );
        // 16,000² pixels: 7.3 GB fits.
        assert!(check(path, 16_000, 16_000, Footprint::COUNT, limit).is_ok());
        let available = check(
            path,
            20_000,
            20_000,
            Footprint::COUNT,
            Limit::Available(1 << 30),
        );
        let message = available.unwrap_err().to_string();
        assert!(message.contains("1.0 GiB available"), "{message}");
        let segment = check(path, 25_000, 25_000, Footprint::SEGMENT, limit).unwrap_err();
        let message = segment.to_string();
        assert!(message.contains("to segment and measure"), "{message}");
        assert!(
            message.contains("--analysis stain-watershed -o OUTDIR"),
            "{message}"
        );
    }

    #[test]
    fn batches_fit_by_their_largest_images() {
        // By hand: the two largest of 1, 4, 2, 4 are 4 + 4 = 8.
        assert!(fit_together(&[1, 4, 2, 4], 2, 8));
        assert!(!fit_together(&[1, 4, 2, 4], 2, 7));
        // One thread: the largest alone; more threads than images: all of them.
        assert!(fit_together(&[1, 4, 2, 4], 1, 4));
        assert!(fit_together(&[1, 4], 8, 5));
        assert!(!fit_together(&[1, 4], 8, 4));
        assert!(fit_together(&[], 2, 0));
        assert!(!fit_together(&[u64::MAX, 1], 2, u64::MAX - 1));
    }

    #[test]
    fn sizes_read_in_powers_of_1024() {
        assert_eq!(parse_size("8G"), Ok(8 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(human_bytes(640 << 20), "640 MiB");
    }

    #[test]
    fn meminfo_and_cgroup_texts() {
        let meminfo = "MemTotal:       24576000 kB\nMemFree:        20000000 kB\n\
                       MemAvailable:   23000000 kB\nBuffers:            3512 kB\n";
        assert_eq!(meminfo_available(meminfo), Some(23_000_000 * 1024));
        assert_eq!(meminfo_available("MemTotal: 1 kB\n"), None);
        assert_eq!(
            cgroup_v2_path("0::/system.slice/slurmstepd.scope/job_42/\n"),
            Some("/system.slice/slurmstepd.scope/job_42".to_string())
        );
        assert_eq!(cgroup_v2_path("12:memory:/user\n"), None);
        // This machine's hybrid layout: v1 memory controller, empty v2 root.
        let hybrid = "4:memory:/process_api/3d6c\n3:cpu,cpuacct:/\n0::/\n";
        assert_eq!(
            cgroup_v1_memory_path(hybrid),
            Some("/process_api/3d6c".to_string())
        );
        assert_eq!(cgroup_v2_path(hybrid), Some(String::new()));
        assert_eq!(cgroup_v1_memory_path("0::/user.slice\n"), None);
        assert_eq!(
            cgroup_headroom("4294967296\n", "1073741824\n"),
            Some(3 << 30)
        );
        assert_eq!(cgroup_headroom("max\n", "1073741824\n"), None);
        assert_eq!(cgroup_headroom("9223372036854771712\n", "1\n"), None);
        assert_eq!(cgroup_headroom("100\n", "200\n"), Some(0));
    }

    #[test]
    fn a_limit_on_an_ancestor_group_counts() {
        assert_eq!(
            group_and_ancestors("/job_42/step_0/").collect::<Vec<_>>(),
            ["/job_42/step_0", "/job_42", ""]
        );
        assert_eq!(group_and_ancestors("").collect::<Vec<_>>(), [""]);
        // Slurm's layout: the job's group has 4 GiB with 1 GiB used, the step below it none.
        let files: std::collections::HashMap<&str, &str> = [
            ("/sys/fs/cgroup/job_42/memory.max", "4294967296\n"),
            ("/sys/fs/cgroup/job_42/memory.current", "1073741824\n"),
            ("/sys/fs/cgroup/job_42/step_0/memory.max", "max\n"),
            (
                "/sys/fs/cgroup/job_42/step_0/memory.current",
                "1073741824\n",
            ),
            ("/sys/fs/cgroup/memory.max", "max\n"),
            ("/sys/fs/cgroup/memory.current", "9000000000\n"),
        ]
        .into_iter()
        .collect();
        let read = |path: &str| files.get(path).map(|text| text.to_string());
        assert_eq!(
            group_headroom("/job_42/step_0", &CGROUP_V2, read),
            Some(3 << 30)
        );
        assert_eq!(group_headroom("/other", &CGROUP_V2, read), None);
    }

    #[test]
    fn this_machine_reports_some_memory() {
        if Path::new("/proc/meminfo").exists() {
            assert!(available_bytes().is_some_and(|bytes| bytes > 0));
        }
    }
}
