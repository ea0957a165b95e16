// ImageJ 1.x oracle for hemato's threshold goldens.
// Argument: "INPUT_DIR;OUTPUT_DIR" (absolute paths). For every PNG in INPUT_DIR (sorted by name):
//   - RGB and 16-bit images are converted with run("8-bit") and saved as OUTPUT_DIR/8bit/NAME;
//   - the 256-bin histogram goes to OUTPUT_DIR/histograms.csv (image,bit_depth,counts);
//   - for every method of getList("threshold.methods"), the ranges that
//     setAutoThreshold("METHOD dark") and setAutoThreshold("METHOD") select go to
//     OUTPUT_DIR/thresholds.csv (image,method,dark_lower,dark_upper,light_lower,light_upper).
setBatchMode(true);
arguments = split(getArgument(), "(;)");
input = arguments[0];
output = arguments[1];
files = getFileList(input);
Array.sort(files);
methods = getList("threshold.methods");
thresholds = "image,method,dark_lower,dark_upper,light_lower,light_upper\n";
histograms = "image,bit_depth,counts\n";
for (f = 0; f < files.length; f++) {
  name = files[f];
  if (!endsWith(name, ".png"))
    continue;
  open(input + "/" + name);
  depth = bitDepth();
  if (depth != 8) {
    run("8-bit");
    saveAs("PNG", output + "/8bit/" + name);
  }
  getHistogram(values, counts, 256);
  line = "" + counts[0];
  for (i = 1; i < 256; i++)
    line = line + " " + counts[i];
  histograms = histograms + name + "," + depth + "," + line + "\n";
  for (m = 0; m < methods.length; m++) {
    setAutoThreshold(methods[m] + " dark");
    getThreshold(darkLower, darkUpper);
    setAutoThreshold(methods[m]);
    getThreshold(lightLower, lightUpper);
    thresholds = thresholds + name + "," + methods[m] + "," + darkLower + "," + darkUpper + "," + lightLower + "," + lightUpper + "\n";
  }
  close();
}
File.saveString(thresholds, output + "/thresholds.csv");
File.saveString(histograms, output + "/histograms.csv");
print("thresholded " + files.length + " files");
