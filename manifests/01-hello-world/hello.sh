# Prints a greeting, the container's hostname and its own PID, then exits,
# so the pod ends as Completed.
echo "Hello from a tinykube container"
echo "hostname: $(cat /proc/sys/kernel/hostname)"
echo "my PID: $$"
