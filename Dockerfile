# syntax=docker/dockerfile:1
# The grading image: one container per submission, laid out as Gradescope's (/autograder).
#
#   docker build -t autograde .
#   docker build --secret id=autograde_secret,src=course-secret.txt -t autograde .   # with a secret
#   docker build --build-arg PACK=cbow --build-arg REFERENCE=reference/cbow -t autograde-cbow .
#   docker run --rm --network none -v "$PWD/hw:/autograder/submission:ro" \
#       -v "$PWD/out:/autograder/results" autograde        # writes out/results.json
#
# Built the way Gradescope builds an autograder.zip: grader/gradescope/setup.sh does the installing, so
# both images agree. The grader runs as root and is the only one that can read the reference
# (/opt/autograde/reference, root:root, 0700). Student code never runs as root: each worker drops
# to an unprivileged uid of its own, inside a bubblewrap sandbox where the container allows one
# (Docker's default seccomp profile usually does not, and the report says so; --network none and
# the container are then the outer wall).
FROM python:3.12-slim-bookworm

# The pack this image grades (a built-in pack's name), its reference folder in the build context,
# and optionally the pack's grading mode (e.g. exact); run_autograder reads them from the environment.
ARG PACK=cs224n-a1
ARG REFERENCE=reference
ARG MODE=""

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AUTOGRADE_ROOT=/autograder \
    AUTOGRADE_REFERENCE=/opt/autograde/reference \
    AUTOGRADE_PACK=${PACK} \
    AUTOGRADE_MODE=${MODE}

# bubblewrap for the sandbox; setpriv (util-linux) to drop privileges. Debian's versions are not
# pinned: a point release replaces them, and the build should take the security fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap util-linux \
    && rm -rf /var/lib/apt/lists/*

# The same layout as autograder.zip unpacked in /autograder/source.
COPY grader/gradescope/setup.sh grader/gradescope/run_autograder /autograder/source/
COPY pyproject.toml README.md LICENSE /autograder/source/autograde/
COPY grader /autograder/source/autograde/grader
# Never world-readable, not even in this layer.
COPY --chown=root:root --chmod=0700 ${REFERENCE} /opt/autograde/reference

RUN bash /autograder/source/setup.sh

# The course secret, if the build was given one (docker build --secret id=autograde_secret,src=FILE):
# root only, like the reference; without it the image grades on the public inputs.
RUN --mount=type=secret,id=autograde_secret,required=false \
    if [ -f /run/secrets/autograde_secret ]; then \
        install -m 0600 -o root -g root /run/secrets/autograde_secret /opt/autograde/secret; \
    fi

WORKDIR /autograder
CMD ["/autograder/run_autograder"]
