#!/usr/bin/env bash
# Resolves Apache ZooKeeper 3.9.5 and its run-time class path into
# tools/zookeeper-3.9.5/ (the reference server for comparisons and benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tools/zookeeper-3.9.5
if [ ! -f "$dir/zookeeper-3.9.5.jar" ] || [ ! -f "$dir/snappy-java-1.1.10.5.jar" ]; then
  mkdir -p "$dir"
  mvn -q -B -f bench/reference/pom.xml dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$PWD/$dir" >&2
fi
