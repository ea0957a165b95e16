// ImageJ 1.53t oracle for hemato's binary operations, distance map, ultimate points and watershed.
// For every mask (objects 255 on 0) in INPUT_DIR, writes ImageJ's result of each operation to
// EXPECTED_DIR/<operation>/<mask name>.png (or .tif for 32-bit results).
// Usage: run_ij.sh binary_goldens.ijm "INPUT_DIR;EXPECTED_DIR"
args = split(getArgument(), "(;)");
inputDir = args[0]; outDir = args[1];
setBatchMode(true);
setOption("BlackBackground", true);

// command, iterations, count, pad edges (1/0); Process > Binary > Close is the command "Close-"
operations = newArray(
    "Erode", 1, 1, 0,   "Erode", 2, 3, 0,   "Erode", 1, 5, 0,   "Erode", 3, 1, 1,   "Erode", 1, 2, 1,
    "Dilate", 1, 1, 0,  "Dilate", 2, 3, 0,  "Dilate", 1, 5, 0,
    "Open", 1, 1, 0,    "Open", 2, 2, 0,    "Open", 1, 3, 1,
    "Close-", 1, 1, 0,  "Close-", 2, 2, 0,  "Close-", 3, 4, 0);
sizeRanges = newArray("0-20", "50-5000", "1000-Infinity");

function folder(name) {
    path = outDir + "/" + name;
    File.makeDirectory(path);
    return path + "/";
}

function saveMask(dir, file) {
    if (is("Inverting LUT")) run("Invert LUT");
    saveAs("PNG", dir + file);
    close("*");
}

files = getFileList(inputDir);
for (i = 0; i < files.length; i++) {
    file = files[i];
    if (!endsWith(file, ".png")) continue;
    name = substring(file, 0, lengthOf(file) - 4);

    run("Options...", "iterations=1 count=1 black edm=Overwrite");
    open(inputDir + "/" + file);
    run("Fill Holes");
    saveMask(folder("fill_holes"), file);

    for (k = 0; k < operations.length; k += 4) {
        op = operations[k]; iterations = operations[k + 1]; count = operations[k + 2];
        pad = operations[k + 3];
        options = "iterations=" + iterations + " count=" + count + " black";
        label = toLowerCase(replace(op, "-", "")) + "_i" + iterations + "_c" + count;
        if (pad == 1) { options = options + " pad"; label = label + "_pad"; }
        run("Options...", options + " edm=Overwrite");
        open(inputDir + "/" + file);
        run(op);
        saveMask(folder(label), file);
    }
    run("Options...", "iterations=1 count=1 black edm=Overwrite");

    for (k = 0; k < sizeRanges.length; k++) {
        open(inputDir + "/" + file);
        run("Analyze Particles...", "size=" + sizeRanges[k] + " pixel show=Masks");
        saveMask(folder("size_" + sizeRanges[k]), file);
    }

    open(inputDir + "/" + file);
    run("Watershed");
    saveMask(folder("watershed"), file);

    open(inputDir + "/" + file);
    run("Fill Holes");
    run("Watershed");
    saveMask(folder("fill_holes_watershed"), file);

    run("Options...", "iterations=1 count=1 black edm=32-bit");
    open(inputDir + "/" + file);
    run("Distance Map");
    saveAs("Tiff", folder("edm") + name + ".tif");
    close("*");

    open(inputDir + "/" + file);
    run("Ultimate Points");
    saveAs("Tiff", folder("ultimate_points") + name + ".tif");
    close("*");
    run("Options...", "iterations=1 count=1 black edm=Overwrite");
}
