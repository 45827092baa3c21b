#!/usr/bin/env bash
# Builds the images of the labs with `tinykube image build`, each FROM
# tinykube/base, which `tinykube up` builds on its first start.
#
# Run it as root on the node, with the data dir of the running cluster:
#   TINYKUBE_DATA_DIR=/var/lib/tinykube manifests/build-images.sh
# The images go into TINYKUBE_DATA_DIR, else /var/lib/tinykube, which is
# where `tinykube up` looks when it runs without --data-dir. KUBECONFIG
# does not select the data dir.
# TINYKUBE is the command that runs the tinykube CLI; by default it is this
# checkout's bin/tinykube.js.
set -euo pipefail

labs=$(cd "$(dirname "$0")" && pwd)
TINYKUBE=${TINYKUBE:-node $labs/../bin/tinykube.js}
data_dir=${TINYKUBE_DATA_DIR:-/var/lib/tinykube}

echo "Building the lab images into the data dir $data_dir (set TINYKUBE_DATA_DIR to the --data-dir of tinykube up to change it)"
if [[ ! -f $data_dir/cluster.json ]]; then
  echo "Warning: no cluster has run on $data_dir; the pods of a cluster with another data dir will not find these images" >&2
fi

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
