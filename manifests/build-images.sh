#!/usr/bin/env bash
# Builds the images of the labs with `tinykube image build`, each FROM
# tinykube/base, which `tinykube up` builds on its first start.
#
# Run it as root on the node, with the data dir of the running cluster:
#   TINYKUBE_DATA_DIR=/var/lib/tinykube manifests/build-images.sh
# TINYKUBE is the command that runs the tinykube CLI; by default it is this
# checkout's bin/tinykube.js.
set -euo pipefail

labs=$(cd "$(dirname "$0")" && pwd)
TINYKUBE=${TINYKUBE:-node $labs/../bin/tinykube.js}

build() {
  local tag=$1 dockerfile=$2
  echo "Building $tag from ${dockerfile#"$labs"/}"
  $TINYKUBE image build -t "$tag" -f "$dockerfile" "$(dirname "$dockerfile")"
}

build hello-world "$labs/01-hello-world/Dockerfile"
build sleeping-app-image "$labs/02-replicaset/Dockerfile"
build sleeping-app-image-100 "$labs/03-deployment/Dockerfile.100"
build sleeping-app-image-200 "$labs/03-deployment/Dockerfile.200"
build mem-hogger-image "$labs/04-memory-limit/Dockerfile"
# The two CPU hoggers run the same loop; separate names let `tinykube image ls`
# and the pods tell them apart, as in the Docker lessons.
build cpu-hogger1-image "$labs/05-cpu-limits/Dockerfile"
build cpu-hogger2-image "$labs/05-cpu-limits/Dockerfile"

$TINYKUBE image ls
