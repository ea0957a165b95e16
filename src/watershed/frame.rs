//! Image geometry with one pixel of padding all round, so that every image pixel has its eight
//! neighbours in memory and neighbour loops need no bounds checks.

/// Offsets of the eight neighbours are listed clockwise from north, as ImageJ's
/// `MaximumFinder` numbers directions: 0 = N (−y), 1 = NE, 2 = E, …, 7 = NW.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Image width (without padding).
    pub width: usize,
    /// Image height (without padding).
    pub height: usize,
    /// Row length of the padded buffers: `width + 2`.
    pub stride: usize,
    /// Image coordinates of the frame's pixel (0, 0): (0, 0) for a whole image, the corner of
    /// the window for a [`Frame::window`].
    origin: (usize, usize),
}

impl Frame {
    pub fn new(width: usize, height: usize) -> Self {
        Self::window(0, 0, width, height)
    }

    /// The padded geometry of a `width` x `height` window of an image whose corner is image
    /// pixel (x0, y0): indices are the window's own, [`Frame::coordinates`] those of the image.
    pub fn window(x0: usize, y0: usize, width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            stride: width + 2,
            origin: (x0, y0),
        }
    }

    /// Number of elements of a padded buffer.
    pub fn len(&self) -> usize {
        self.stride * (self.height + 2)
    }

    /// Padded index of image pixel (x, y).
    pub fn index(&self, x: usize, y: usize) -> usize {
        (y + 1) * self.stride + x + 1
    }

    /// Image coordinates of a padded index inside the frame (for a window: in the whole image).
    pub fn coordinates(&self, index: usize) -> (usize, usize) {
        (
            self.origin.0 + index % self.stride - 1,
            self.origin.1 + index / self.stride - 1,
        )
    }

    /// Whether pixel (x, y) of the frame lies on its border.
    pub fn is_edge(&self, x: usize, y: usize) -> bool {
        x == 0 || y == 0 || x + 1 == self.width || y + 1 == self.height
    }

    /// Padded-index offsets of the eight neighbours, clockwise from north.
    pub fn neighbour_offsets(&self) -> [isize; 8] {
        let s = self.stride as isize;
        [-s, -s + 1, 1, s + 1, s, s - 1, -1, -s - 1]
    }

    /// Padded-index range of image row `y`.
    pub fn row(&self, y: usize) -> std::ops::Range<usize> {
        let start = self.index(0, y);
        start..start + self.width
    }

    /// Copies an unpadded image into a padded buffer whose frame holds `outside`.
    pub fn pad<T: Copy>(&self, pixels: &[T], outside: T) -> Vec<T> {
        let mut padded = vec![outside; self.len()];
        if self.width > 0 {
            for (y, row) in pixels.chunks_exact(self.width).enumerate() {
                padded[self.row(y)].copy_from_slice(row);
            }
        }
        padded
    }

    /// Copies the image part of a padded buffer out.
    pub fn unpad<T: Copy>(&self, padded: &[T]) -> Vec<T> {
        let mut pixels = Vec::with_capacity(self.width * self.height);
        for y in 0..self.height {
            pixels.extend_from_slice(&padded[self.row(y)]);
        }
        pixels
    }
}

/// Neighbour of padded `index` at `offset` (always inside the padded buffer for image pixels).
#[inline]
pub(crate) fn step(index: usize, offset: isize) -> usize {
    index.wrapping_add_signed(offset)
}
