#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu, 22.04 by
# default): https://gradescope-autograders.readthedocs.io/en/latest/specs/. The zip's contents are
# in /autograder/source. It installs Node.js 20 from NodeSource's Ubuntu packages (Ubuntu's own
# nodejs is older than the course needs), then the course's locked dependencies (npm ci reads
# package-lock.json; the development tools are left out).
# Built by `npm run autograder` (scripts/autograder.ts); see README.md, "Grading on a platform".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 20 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi
echo "node $(node --version), npm $(npm --version)"
npm ci --omit=dev --no-audit --no-fund
