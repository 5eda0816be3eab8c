#!/usr/bin/env bash
# Check the Kubernetes files of a sharded run against the Kubernetes API
# schemas, with no cluster: kubernetes-validate (PyPI) carries the schemas
# of every Kubernetes version with it and runs offline once installed.
# --strict also rejects fields the schema does not know (a typo).
#
# Usage: deploy/k8s/validate.sh [KUBERNETES_VERSION]   (default: the tool's newest)
# Installs kubernetes-validate with pip (--user) when it is missing; that
# step needs the package registry, the check itself no network.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v kubernetes-validate >/dev/null 2>&1; then
  python3 -m pip install --quiet --user kubernetes-validate
  export PATH="$HOME/.local/bin:$PATH"
fi
version=()
if [ -n "${1:-}" ]; then version=(--kubernetes-version "$1"); fi
kubernetes-validate --strict "${version[@]}" ./*.yaml
