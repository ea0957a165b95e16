// The segmentation chain of `hemato segment` on 8-bit channel images, in ImageJ 1.53t:
// setAutoThreshold, Convert to Mask, Fill Holes, Watershed, Analyze Particles (Count Masks).
// Usage: run_ij.sh segment_chain.ijm "INPUT_DIR;OUTPUT_DIR"
// For every INPUT_DIR/*.png and every job below it writes, in OUTPUT_DIR:
//   STEM__JOB.png   the mask after the watershed (objects 255 on 0)
//   STEM__JOB.tif   Analyze Particles' Count Masks (16-bit labels, ImageJ's particle order)
//   STEM__JOB.csv   Analyze Particles' Results (area, centroid, bounding box), one row per particle
args = split(getArgument(), "(;)");
inputDir = args[0]; outputDir = args[1];
jobs = newArray("Otsu", "Default", "Li", "Otsu dark");
setBatchMode(true);
setOption("BlackBackground", true);
run("Set Measurements...", "area centroid bounding redirect=None decimal=9");
files = getFileList(inputDir);
for (i = 0; i < files.length; i++) {
    if (!endsWith(files[i], ".png")) continue;
    stem = substring(files[i], 0, lengthOf(files[i]) - 4);
    for (j = 0; j < jobs.length; j++) {
        name = stem + "__" + replace(jobs[j], " ", "_");
        open(inputDir + "/" + files[i]);
        setAutoThreshold(jobs[j]);
        run("Convert to Mask");
        if (is("Inverting LUT")) run("Invert LUT");
        run("Fill Holes");
        run("Watershed");
        saveAs("PNG", outputDir + "/" + name + ".png");
        run("Analyze Particles...", "size=0-Infinity pixel show=[Count Masks] display clear");
        saveAs("Tiff", outputDir + "/" + name + ".tif");
        saveAs("Results", outputDir + "/" + name + ".csv");
        close("*");
    }
}
