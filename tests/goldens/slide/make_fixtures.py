"""Makes the TIFF fixtures of tests/slide_formats.rs (see README.md).

Run through regenerate.sh, which installs tifffile, imagecodecs, numpy and Pillow into a private
virtual environment under target/.
"""
import shutil
import sys
from pathlib import Path

import numpy
import tifffile
from PIL import Image

here = Path(__file__).resolve().parent
source_jpeg = Path(sys.argv[1])

# A 300 x 200 crop of a real smear field (BCCD, MIT licence): not a multiple of the 128-pixel
# tiles, so the right and bottom tiles are partial.
field = numpy.asarray(Image.open(source_jpeg).convert("RGB"))
crop = numpy.ascontiguousarray(field[100:300, 150:450])
Image.fromarray(crop).save(here / "source.png")


def reduced(image, factor):
    return numpy.ascontiguousarray(image[::factor, ::factor])


jpeg = {"compression": "jpeg", "compressionargs": {"level": 90}, "tile": (128, 128)}

# 1. JPEG tiles in YCbCr with 2x2 chroma subsampling (tifffile turns RGB data into
#    PhotometricInterpretation YCbCr for JPEG), as a BigTIFF pyramid: a small stripped thumbnail
#    first (not flagged as reduced, so only its size tells it apart from the full image), then the
#    full image, two reduced-resolution levels (NewSubfileType 1) and a small "label" image.
with tifffile.TiffWriter(here / "ycbcr_jpeg_pyramid.tif", bigtiff=True) as tiff:
    tiff.write(reduced(crop, 8), photometric="rgb")
    tiff.write(crop, photometric="rgb", **jpeg)
    tiff.write(reduced(crop, 2), photometric="rgb", subfiletype=1, **jpeg)
    tiff.write(reduced(crop, 4), photometric="rgb", subfiletype=1, **jpeg)
    tiff.write(reduced(crop, 5), photometric="rgb", subfiletype=1)

# 2. Aperio style: the same YCbCr JPEG tiles, but the TIFF says PhotometricInterpretation RGB
#    (as Aperio .svs files do): written as above, then the tag value is patched from 6 to 2.
with tifffile.TiffWriter(here / "aperio_style_jpeg.tif") as tiff:
    tiff.write(crop, photometric="rgb", **jpeg)
with tifffile.TiffFile(here / "aperio_style_jpeg.tif") as tiff:
    tag = tiff.pages[0].tags["PhotometricInterpretation"]
    assert tag.value == 6, tag.value
    offset = tag.valueoffset
with open(here / "aperio_style_jpeg.tif", "r+b") as file:
    file.seek(offset)
    file.write((2).to_bytes(2, "little"))

# The full image as libjpeg-turbo decodes it (Pillow's libtiff with JPEGCOLORMODE RGB): the
# reference the Rust decoder is compared with. Both files hold the same JPEG streams.
image = Image.open(here / "ycbcr_jpeg_pyramid.tif")
image.seek(1)
decoded = numpy.asarray(image.convert("RGB"))
Image.fromarray(decoded).save(here / "jpeg_tiles.expected.png")
difference = numpy.abs(decoded.astype(int) - crop.astype(int))
print(f"libjpeg-turbo decode vs source: mean {difference.mean():.3f}, max {difference.max()}")

# 3. LZW from an independent encoder (tifffile/imagecodecs): 64 x 64 tiles with the horizontal
#    predictor, and strips of 16 rows. Lossless: they must read back as source.png exactly.
tifffile.imwrite(here / "lzw_tiles_predictor.tif", crop, photometric="rgb", compression="lzw",
                 predictor=True, tile=(64, 64))
tifffile.imwrite(here / "lzw_strips.tif", crop, photometric="rgb", compression="lzw",
                 rowsperstrip=16)

# 4. PackBits and Deflate strips from the same independent encoder (the tiff crate 0.11's strip
#    writer declares the compression but stores the strips raw, so it cannot serve as a
#    reference for compressed strips).
tifffile.imwrite(here / "packbits_strips.tif", crop, photometric="rgb", compression="packbits",
                 rowsperstrip=5)
tifffile.imwrite(here / "deflate_strips_predictor.tif", crop, photometric="rgb",
                 compression="zlib", predictor=True, rowsperstrip=64)

# 5. Separate colour planes (PlanarConfiguration 2: all red chunks, then green, then blue), which
#    the whole-image reader interleaves, from the top-left 150 x 100 pixels of the crop (partial
#    last strip and tiles): Deflate strips of 16 rows, 8-bit; Deflate 64 x 64 tiles, 16-bit
#    holding v * 257.
planes = numpy.ascontiguousarray(numpy.moveaxis(crop[:100, :150], 2, 0))  # (3, 100, 150)
tifffile.imwrite(here / "planar_strips.tif", planes, photometric="rgb", planarconfig="separate",
                 compression="zlib", rowsperstrip=16)
tifffile.imwrite(here / "planar_tiles_16bit.tif", planes.astype(numpy.uint16) * 257,
                 photometric="rgb", planarconfig="separate", compression="zlib", tile=(64, 64))
