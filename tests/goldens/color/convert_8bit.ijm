// ImageJ 1.x oracle for hemato's RGB -> 8-bit grey conversion.
// Argument: "INPUT_DIR;OUTPUT_DIR" (absolute paths). Every PNG of INPUT_DIR is opened, converted
// with run("8-bit") (default settings: unweighted RGB conversion) and saved as OUTPUT_DIR/NAME.
setBatchMode(true);
arguments = split(getArgument(), "(;)");
input = arguments[0];
output = arguments[1];
files = getFileList(input);
Array.sort(files);
for (f = 0; f < files.length; f++) {
  name = files[f];
  if (!endsWith(name, ".png"))
    continue;
  open(input + "/" + name);
  if (bitDepth() != 24)
    exit(name + " is not RGB");
  run("8-bit");
  saveAs("PNG", output + "/" + name);
  close();
}
print("converted " + files.length + " files");
