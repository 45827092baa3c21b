# Runs until the pod is deleted. It prints its version once, so that
# `kubectl logs` shows which image a pod runs. APP_VERSION comes from the image.
echo "sleeping app ${APP_VERSION:-1} started on $(cat /proc/sys/kernel/hostname)"
trap 'echo "sleeping app stopping"; exit 0' TERM
while true; do
  sleep 1
done
