# Grows by 4 MiB every quarter second until the memory cgroup's limit stops
# it. The kernel's OOM killer then kills it, and the pod shows OOMKilled.
# The shell copies the string as it grows it, so the process uses about
# twice the size it prints when the limit is reached.
chunk=$(head -c 4194304 /dev/zero | tr '\0' x)
data=""
mib=0
while true; do
  data="$data$chunk"
  mib=$((mib + 4))
  echo "Number of Bytes read ${mib}MB"
  sleep 0.25
done
