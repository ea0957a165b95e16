//! Whole-slide images: tiles in parallel, bounded memory, resumable, sharded across a cluster.
//!
//! A slide is far larger than memory, so it is read and analysed piece by piece, yet every cell
//! is counted exactly once and measured exactly as a single run over the whole slide would
//! measure it:
//!
//! | step | module |
//! | --- | --- |
//! | read rectangles of TIFF/BigTIFF (tiled, stripped, pyramids, JPEG/YCbCr), PNG, JPEG | [`reader`] |
//! | keep decoded TIFF chunks for the overlapping windows of neighbouring tiles | [`chunk_cache`] |
//! | cut the slide into cores and windows | [`tiles`] |
//! | pixels within a Euclidean distance of violet pixels (a superset of `within_distance`) | [`reach`] |
//! | label components and background regions of a window | [`components`] |
//! | the per-component analysis contract and the stand-in analysis | [`analysis`] |
//! | `hemato count`'s pipeline on slides (slide-wide parameters, clusters) | [`count`] |
//! | statistics pass, tiles in parallel, grown regions, checkpoints | [`run`], [`checkpoint`] |
//! | split work between job-array tasks | [`shard`] |
//! | join checkpoints into `cells.csv`, `counts.csv`, overview | [`merge`], [`overview`] |
//! | write large test slides (tiled BigTIFF mosaics of real fields) | [`mosaic`] |
//!
//! The rules that make the result independent of the tiling:
//!
//! - **Slide-wide parameters** (e.g. an automatic threshold) come from statistics summed over
//!   every pixel of the slide in a first pass, never from a tile.
//! - **Ownership**: the foreground is split into 8-connected components (single cells or clumps of
//!   touching cells). A component belongs to the tile whose core contains its first pixel in
//!   raster order, and all its cells are reported by that tile.
//! - **Whole components**: a component is analysed only from a region that contains all of it
//!   (and its 1-pixel margin) away from the region's border, except where that border is the
//!   slide's; a component cut by its window is read again from a grown region. Components wider
//!   or higher than `max_component` pixels are skipped with a warning.
//! - **Holes**: Fill Holes is decided slide-wide by joining the background regions of all cores
//!   (see [`merge`]).
//!
//! See `docs/slides.md` for the full argument and `docs/cluster.md` for job arrays.

pub mod analysis;
pub mod checkpoint;
pub mod chunk_cache;
pub mod components;
pub mod count;
pub mod cuts;
pub mod merge;
pub mod mosaic;
pub mod overview;
pub mod reach;
pub mod reader;
pub mod run;
pub mod shard;
pub mod tiles;

pub use analysis::{
    analyse_image, Analysis, Cell, ComponentError, ComponentFailure, ComponentImage, Level,
    StainWatershed,
};
pub use count::{CountAnalysis, RedCellArea};
pub use merge::merge_shards;
pub use reader::SlideReader;
pub use run::{
    run_sampled_slides, run_slides, run_slides_handing_over, Handover, NoProgress, Progress,
    Sampling, SlideOptions, Stage,
};
pub use shard::Shard;
