#!/usr/bin/env bash
# Regenerates expected.txt: ImageJ 1.53t's own ResultsTable.d2s (Debian's /usr/share/java/ij.jar).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(mktemp -d)"
javac -cp /usr/share/java/ij.jar -d "$build" "$here/D2s.java"
java -Djava.awt.headless=true -cp "/usr/share/java/ij.jar:$build" D2s > "$here/expected.txt"
rm -rf "$build"
