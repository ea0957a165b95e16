//! The tile grid of a slide: cores that partition the slide, windows that add an overlap.
//!
//! A slide of `width` × `height` pixels is cut into a grid of square *cores* of `tile` pixels
//! (the last column and row are narrower where the slide ends). Cores partition the slide: every
//! pixel lies in exactly one core. Each core is analysed inside its *window*: the core grown by
//! `overlap` pixels on every side, clipped to the slide. Tiles are numbered in row-major order
//! (left to right, then top to bottom), which is also the order in which results are written.
//!
//! ```
//! use hemato::slide::tiles::TileGrid;
//! let grid = TileGrid::new(5000, 3000, 2048, 128).unwrap();
//! assert_eq!((grid.columns(), grid.rows()), (3, 2));
//! let last = grid.tile(grid.len() - 1);
//! assert_eq!((last.core.x, last.core.y, last.core.width, last.core.height), (4096, 2048, 904, 952));
//! assert_eq!((last.window.x, last.window.width), (4096 - 128, 904 + 128));
//! assert_eq!(grid.owner(4100, 2100), grid.len() - 1);
//! ```

use serde::{Deserialize, Serialize};

/// An axis-aligned rectangle of pixels in slide coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rect {
    /// A rectangle from its corner and size.
    pub fn new(x: u32, y: u32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    /// One past the right column.
    pub fn right(&self) -> u32 {
        self.x + self.width
    }

    /// One past the bottom row.
    pub fn bottom(&self) -> u32 {
        self.y + self.height
    }

    /// Number of pixels.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Whether pixel `(x, y)` lies inside.
    pub fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && y >= self.y && x < self.right() && y < self.bottom()
    }

    /// Whether `other` lies entirely inside.
    pub fn contains_rect(&self, other: &Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }

    /// The rectangle grown by the given margins on each side, clipped to `width` × `height`.
    pub fn grown(&self, margins: Sides<u32>, width: u32, height: u32) -> Rect {
        let x = self.x.saturating_sub(margins.left);
        let y = self.y.saturating_sub(margins.top);
        let right = self.right().saturating_add(margins.right).min(width);
        let bottom = self.bottom().saturating_add(margins.bottom).min(height);
        Rect::new(x, y, right - x, bottom - y)
    }

    /// The intersection with `other` (empty rectangles have zero width or height).
    pub fn intersection(&self, other: &Rect) -> Rect {
        let x = self.x.max(other.x);
        let y = self.y.max(other.y);
        let right = self.right().min(other.right()).max(x);
        let bottom = self.bottom().min(other.bottom()).max(y);
        Rect::new(x, y, right - x, bottom - y)
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let right = self.right().max(other.right());
        let bottom = self.bottom().max(other.bottom());
        Rect::new(x, y, right - x, bottom - y)
    }

    /// Which sides of this rectangle lie on the border of a `width` × `height` slide.
    pub fn slide_edges(&self, width: u32, height: u32) -> Sides<bool> {
        Sides {
            left: self.x == 0,
            top: self.y == 0,
            right: self.right() == width,
            bottom: self.bottom() == height,
        }
    }
}

/// One value for each side of a rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Sides<T> {
    /// Left side (column `x`).
    pub left: T,
    /// Top side (row `y`).
    pub top: T,
    /// Right side (last column).
    pub right: T,
    /// Bottom side (last row).
    pub bottom: T,
}

impl<T: Copy> Sides<T> {
    /// The same value on all four sides.
    pub fn all(value: T) -> Sides<T> {
        Sides {
            left: value,
            top: value,
            right: value,
            bottom: value,
        }
    }
}

impl Sides<bool> {
    /// Whether any side is set.
    pub fn any(&self) -> bool {
        self.left || self.top || self.right || self.bottom
    }

    /// Sides set here and not in `other`.
    pub fn and_not(&self, other: &Sides<bool>) -> Sides<bool> {
        Sides {
            left: self.left && !other.left,
            top: self.top && !other.top,
            right: self.right && !other.right,
            bottom: self.bottom && !other.bottom,
        }
    }
}

/// The grid is impossible (zero-sized slide or tile).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// The tile size is zero.
    #[error("the tile size must be at least 1 pixel")]
    ZeroTile,
    /// The slide has no pixels.
    #[error("the slide is empty ({width} x {height} pixels)")]
    EmptySlide {
        /// Slide width.
        width: u32,
        /// Slide height.
        height: u32,
    },
}

/// The tile grid of a slide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileGrid {
    width: u32,
    height: u32,
    tile: u32,
    overlap: u32,
    columns: u32,
    rows: u32,
}

/// One tile: its index, grid position, core and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Row-major index.
    pub index: usize,
    /// Grid column.
    pub column: u32,
    /// Grid row.
    pub row: u32,
    /// The pixels this tile owns.
    pub core: Rect,
    /// The pixels read to analyse the core: the core plus the overlap, clipped to the slide.
    pub window: Rect,
}

impl TileGrid {
    /// The grid of `tile`-pixel cores with `overlap`-pixel windows over a `width` × `height`
    /// slide.
    pub fn new(width: u32, height: u32, tile: u32, overlap: u32) -> Result<TileGrid, GridError> {
        if tile == 0 {
            return Err(GridError::ZeroTile);
        }
        if width == 0 || height == 0 {
            return Err(GridError::EmptySlide { width, height });
        }
        Ok(TileGrid {
            width,
            height,
            tile,
            overlap,
            columns: width.div_ceil(tile),
            rows: height.div_ceil(tile),
        })
    }

    /// Slide width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Slide height.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Core size.
    pub fn tile_size(&self) -> u32 {
        self.tile
    }

    /// Overlap on each side.
    pub fn overlap(&self) -> u32 {
        self.overlap
    }

    /// Number of grid columns.
    pub fn columns(&self) -> u32 {
        self.columns
    }

    /// Number of grid rows.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// Number of tiles.
    pub fn len(&self) -> usize {
        self.columns as usize * self.rows as usize
    }

    /// Whether the grid has no tiles (never: a grid covers at least one pixel).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole slide as a rectangle.
    pub fn slide(&self) -> Rect {
        Rect::new(0, 0, self.width, self.height)
    }

    /// The tile at `index` (row-major). Panics if `index >= len()`.
    pub fn tile(&self, index: usize) -> Tile {
        assert!(index < self.len(), "tile {index} of {}", self.len());
        let column = (index % self.columns as usize) as u32;
        let row = (index / self.columns as usize) as u32;
        let x = column * self.tile;
        let y = row * self.tile;
        let core = Rect::new(
            x,
            y,
            self.tile.min(self.width - x),
            self.tile.min(self.height - y),
        );
        let window = core.grown(Sides::all(self.overlap), self.width, self.height);
        Tile {
            index,
            column,
            row,
            core,
            window,
        }
    }

    /// The index of the tile whose core holds pixel `(x, y)`.
    pub fn owner(&self, x: u32, y: u32) -> usize {
        (y / self.tile) as usize * self.columns as usize + (x / self.tile) as usize
    }

    /// The index of the tile at grid position `(column, row)`.
    pub fn index(&self, column: u32, row: u32) -> usize {
        row as usize * self.columns as usize + column as usize
    }

    /// Every `every`-th tile in diagonal order, as row-major indices in increasing order: the
    /// tiles ordered by anti-diagonal (`column + row`), then by row, and those at positions
    /// 0, `every`, 2·`every`, … of that order taken. Consecutive tiles of the order run across
    /// rows and columns, so the sample is spread over both (every row-major `every`-th tile
    /// would be columns of the slide when the grid has a multiple of `every` columns). With
    /// `every` ≤ 1, every tile.
    pub fn diagonal_sample(&self, every: usize) -> Vec<usize> {
        let (columns, rows) = (self.columns as usize, self.rows as usize);
        let order = (0..columns + rows - 1).flat_map(|diagonal| {
            (diagonal.saturating_sub(columns - 1)..=diagonal.min(rows - 1))
                .map(move |row| row * columns + diagonal - row)
        });
        let mut sample: Vec<usize> = order.step_by(every.max(1)).collect();
        sample.sort_unstable();
        sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cores_partition_the_slide() {
        for (width, height, tile, overlap) in [(1, 1, 1, 0), (7, 5, 3, 2), (100, 37, 16, 5)] {
            let grid = TileGrid::new(width, height, tile, overlap).unwrap();
            let mut covered = vec![0u32; (width * height) as usize];
            for index in 0..grid.len() {
                let tile = grid.tile(index);
                assert!(tile.window.contains_rect(&tile.core));
                assert!(grid.slide().contains_rect(&tile.window));
                for y in tile.core.y..tile.core.bottom() {
                    for x in tile.core.x..tile.core.right() {
                        covered[(y * width + x) as usize] += 1;
                        assert_eq!(grid.owner(x, y), index);
                    }
                }
            }
            assert!(covered.iter().all(|&count| count == 1));
        }
    }

    #[test]
    fn windows_add_the_overlap_inside_the_slide() {
        let grid = TileGrid::new(10, 10, 4, 3).unwrap();
        let middle = grid.tile(grid.index(1, 1));
        assert_eq!(middle.core, Rect::new(4, 4, 4, 4));
        assert_eq!(middle.window, Rect::new(1, 1, 10 - 1, 10 - 1));
        let first = grid.tile(0);
        assert_eq!(first.window, Rect::new(0, 0, 7, 7));
        assert_eq!(
            first.window.slide_edges(10, 10),
            Sides {
                left: true,
                top: true,
                right: false,
                bottom: false
            }
        );
    }

    #[test]
    fn diagonal_samples_by_hand() {
        // 4 columns, 3 rows; diagonal order (row-major indices):
        // 0 | 1 4 | 2 5 8 | 3 6 9 | 7 10 | 11.
        let grid = TileGrid::new(40, 30, 10, 2).unwrap();
        assert_eq!(grid.diagonal_sample(1), (0..12).collect::<Vec<_>>());
        // Positions 0, 3, 6, 9: tiles 0, 2, 3, 7.
        assert_eq!(grid.diagonal_sample(3), vec![0, 2, 3, 7]);
        // Positions 0, 5, 10: tiles 0, 8, 10 (rows 0, 2, 2; columns 0, 0, 2).
        assert_eq!(grid.diagonal_sample(5), vec![0, 8, 10]);
        assert_eq!(grid.diagonal_sample(12), vec![0]);
        assert_eq!(grid.diagonal_sample(0), grid.diagonal_sample(1));
        // One row: every k-th tile.
        let row = TileGrid::new(50, 5, 10, 0).unwrap();
        assert_eq!(row.diagonal_sample(2), vec![0, 2, 4]);
    }

    #[test]
    fn empty_grids_are_errors() {
        assert_eq!(TileGrid::new(10, 10, 0, 0), Err(GridError::ZeroTile));
        assert!(matches!(
            TileGrid::new(0, 10, 4, 0),
            Err(GridError::EmptySlide { .. })
        ));
    }
}
