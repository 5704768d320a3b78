#!/usr/bin/env bash
# The GitHub Actions workflow cannot run here; check it as far as one can.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/check-workflow.py" "$(dirname "$here")"
