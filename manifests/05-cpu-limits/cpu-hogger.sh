# Spins on one core for as long as its cgroup lets it. As PID 1 of its pid
# namespace it gets no default action for SIGTERM, so the trap makes
# `kubectl delete` stop it at once instead of after the grace period.
trap 'exit 0' TERM
i=0
while true; do
  i=$((i + 1))
done
