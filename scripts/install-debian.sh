#!/usr/bin/env bash
# Installs the Debian packages the test suites need: the stock ZooKeeper CLI
# (zkCli.sh), the kazoo Python client, pytest, and iproute2 (`ip`, which
# builds the network namespaces of the partition suite) and a headless
# Chromium (chromium-headless-shell, from bookworm-security), which renders
# the trace viewer's pages in its test.
set -euo pipefail
need=()
[ -x /usr/share/zookeeper/bin/zkCli.sh ] || need+=(zookeeper)
/usr/bin/python3 -c 'import kazoo' 2>/dev/null || need+=(python3-kazoo)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || need+=(iproute2)
command -v chromium-headless-shell >/dev/null 2>&1 || need+=(chromium-headless-shell)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q "${need[@]}" >&2
