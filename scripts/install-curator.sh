#!/usr/bin/env bash
# Resolves Apache Curator 5.7.1 (recipes) with the ZooKeeper 3.9.5 Java client
# into tools/curator-5.7.1/ and compiles the Curator suite's program
# (test/curator) against them into tools/curator-5.7.1/classes.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tools/curator-5.7.1
src=test/curator/src/main/java/verikeeper/CuratorRecipes.java
if [ ! -f "$dir/curator-recipes-5.7.1.jar" ]; then
  mkdir -p "$dir"
  mvn -q -B -f test/curator/pom.xml dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$PWD/$dir" >&2
fi
class="$dir/classes/verikeeper/CuratorRecipes.class"
if [ ! -f "$class" ] || [ "$src" -nt "$class" ]; then
  mkdir -p "$dir/classes"
  javac -encoding UTF-8 --release 17 -d "$dir/classes" -cp "$dir/*" "$src"
fi
