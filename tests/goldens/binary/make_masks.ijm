// Real golden masks: each RGB PNG (decoded from the dataset by hemato) -> 8-bit ->
// Default auto-threshold (dark objects) -> Convert to Mask (objects 255 on 0) -> PNG.
// Usage: run_ij.sh make_masks.ijm "RGB_DIR;MASK_DIR"
args = split(getArgument(), "(;)");
rgbDir = args[0]; maskDir = args[1];
setBatchMode(true);
setOption("BlackBackground", true);
files = getFileList(rgbDir);
for (i = 0; i < files.length; i++) {
    if (!endsWith(files[i], ".png")) continue;
    open(rgbDir + "/" + files[i]);
    run("8-bit");
    setAutoThreshold("Default");
    run("Convert to Mask");
    if (is("Inverting LUT")) run("Invert LUT");
    saveAs("PNG", maskDir + "/" + files[i]);
    close("*");
}
