//! hemato: stained blood-smear images in, counts of each cell type out.
//!
//! The modules follow the order in which data flows through the pipeline:
//!
//! | stage | module | data in → data out |
//! | --- | --- | --- |
//! | read | [`io`] | file → [`io::AnyImage`] (8/16/32-bit grey, 8-bit RGB), label images |
//! | stain separation | [`color`] | RGB → one 8-bit or 32-bit image per stain |
//! | threshold | [`threshold`] | 8-bit grey → level → binary mask (objects = 255) |
//! | binary morphology | [`morphology`] | mask → mask (fill holes, erode, dilate, open, close) |
//! | distance map | [`edm`] | mask → 32-bit Euclidean distance map |
//! | watershed | [`watershed`] | mask → mask with touching particles cut apart |
//! | segmentation pipeline | [`segment`] | image + JSON config → mask, particles, label image |
//! | particle analysis | [`measure`] | mask or labels + intensity → one row of measurements per particle |
//! | white-cell features | [`features`] | RGB image → nucleus, cytoplasm and texture features of a white cell |
//! | classification | [`classify`] | feature table → model → class per row |
//! | counting | [`count`] | smear image → red cells, white cells (typed), platelets → counts, cells, overlay |
//! | whole slides | [`slide`] | TIFF/BigTIFF slide → tiles in parallel → the same cells as one image, resumable, sharded |
//! | pictures for people | [`draw`] | text, boxes and outlines on RGB images (heatmaps, overlays) |
//! | write | [`output`] | every file hemato writes, written atomically |
//!
//! Every numeric definition that ImageJ also has follows ImageJ 1.53t exactly; each
//! module cites the ImageJ source file it follows.

pub mod classify;
pub mod color;
pub mod count;
pub mod draw;
pub mod edm;
pub mod features;
pub mod io;
pub mod measure;
pub mod memory;
pub mod morphology;
pub mod output;
pub mod segment;
pub mod slide;
pub mod threshold;
pub mod watershed;
