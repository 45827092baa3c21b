// The version this kubelet reports: the Kubernetes API level it follows, marked as tinykube's.

export const kubeletVersion = 'v1.32.0-tinykube';
