#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image from autograder.zip
# (unpacked in /autograder/source); the Dockerfile runs it too, so both images are built one way.
#
# It installs the grader in its own virtual environment with `autograde` on PATH, moves the
# reference solution to a folder only root can read (the grader runs as root; student code runs
# as an unprivileged uid of its own and cannot read it), and puts run_autograder in place.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"  # started with sh: this script needs bash
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AUTOGRADER="${AUTOGRADE_ROOT:-/autograder}"
PREFIX="${AUTOGRADE_PREFIX:-/opt/autograde}"
REFERENCE="$PREFIX/reference"

# Python 3.10 or newer with venv, and bubblewrap for the sandbox (Gradescope's Ubuntu 22.04 base
# image has python3 3.10 but neither venv nor bubblewrap; the Dockerfile's base has both).
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3 python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
    rm -rf /var/lib/apt/lists/*
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    echo "setup.sh: autograde needs Python 3.10 or newer; this image has $(python3 --version)." >&2
    echo "On Gradescope, choose the Ubuntu 22.04 (or newer) base image." >&2
    exit 1
fi

install -d -m 0755 "$PREFIX"
python3 -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check "$SOURCE/autograde"
# On PATH for the image's users; an install under another prefix (a try-out) leaves the
# machine's /usr/local/bin alone: run_autograder finds the grader under its prefix.
if [ "$PREFIX" = /opt/autograde ]; then
    ln -sf "$PREFIX/venv/bin/autograde" /usr/local/bin/autograde
fi

# The reference: root only. /autograder/source stays readable by everyone, so it leaves there.
if [ -d "$SOURCE/reference" ]; then
    install -d -m 0700 -o root -g root "$REFERENCE"
    cp -R "$SOURCE/reference/." "$REFERENCE/"
    rm -rf "$SOURCE/reference"
fi
if [ ! -d "$REFERENCE" ]; then
    echo "setup.sh: no reference solution (expected $SOURCE/reference or $REFERENCE)" >&2
    exit 1
fi
chown -R root:root "$REFERENCE"
chmod -R go-rwx "$REFERENCE"

# The course secret the inputs are drawn from (gradescope-zip --secret): root only, as the reference.
if [ -f "$SOURCE/secret" ]; then
    install -m 0600 -o root -g root "$SOURCE/secret" "$PREFIX/secret"
    rm -f "$SOURCE/secret"
fi

# The pack the zip grades with: a built-in one by name, or a pack's folder (checks, support files,
# known answers; no reference), readable as the installed grader is.
rm -rf "$PREFIX/pack" "$PREFIX/pack-name"
if [ -d "$SOURCE/pack" ]; then
    cp -R "$SOURCE/pack" "$PREFIX/pack"
    chmod -R u=rwX,go=rX "$PREFIX/pack"
    pack="the pack in $PREFIX/pack"
elif [ -f "$SOURCE/pack-name" ]; then
    install -m 0644 "$SOURCE/pack-name" "$PREFIX/pack-name"
    pack="the pack $(cat "$PREFIX/pack-name")"
else
    pack="the default pack"
fi

# The course config, mode and isolation the zip grades with (gradescope-zip --config, --mode,
# --isolation).
rm -rf "$PREFIX/course-config" "$PREFIX/mode" "$PREFIX/isolation"
if [ -d "$SOURCE/course-config" ]; then
    cp -R "$SOURCE/course-config" "$PREFIX/course-config"
    chmod -R u=rwX,go=rX "$PREFIX/course-config"
    pack="$pack, course config $(ls "$PREFIX/course-config")"
fi
if [ -f "$SOURCE/mode" ]; then
    install -m 0644 "$SOURCE/mode" "$PREFIX/mode"
    pack="$pack, mode $(cat "$PREFIX/mode")"
fi
if [ -f "$SOURCE/isolation" ]; then
    install -m 0644 "$SOURCE/isolation" "$PREFIX/isolation"
    pack="$pack, isolation $(cat "$PREFIX/isolation")"
fi

install -d -m 0755 "$AUTOGRADER" "$AUTOGRADER/submission" "$AUTOGRADER/results"
install -m 0755 "$SOURCE/run_autograder" "$AUTOGRADER/run_autograder"
if [ -f "$PREFIX/secret" ]; then inputs="inputs from the course secret in $PREFIX/secret"
else inputs="public inputs (no course secret)"; fi
echo "setup.sh: $("$PREFIX/venv/bin/autograde" --version) installed; $pack; reference in $REFERENCE; $inputs"
