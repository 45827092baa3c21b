// The kubelet calls one object for both halves of the CRI: the runtime
// service (sandboxes, containers, exec, logs) and the image service (list,
// status, remove). The runtime and the image store are separate objects, so
// this joins them by delegation.

import type {
  ContainerConfig, ContainerStatus, ExecOptions, ImageInfo, ImageService, LogLine, LogOptions,
  PodSandboxConfig, PodSandboxStatus, RuntimeService,
} from '../runtime/cri.js';

export function joinRuntimeAndImages(runtime: RuntimeService, images: ImageService): RuntimeService & ImageService {
  return {
    version: () => runtime.version(),
    runPodSandbox: (config: PodSandboxConfig) => runtime.runPodSandbox(config),
    stopPodSandbox: (id: string) => runtime.stopPodSandbox(id),
    removePodSandbox: (id: string) => runtime.removePodSandbox(id),
    podSandboxStatus: (id: string): Promise<PodSandboxStatus> => runtime.podSandboxStatus(id),
    listPodSandboxes: () => runtime.listPodSandboxes(),
    createContainer: (sandboxId: string, config: ContainerConfig) => runtime.createContainer(sandboxId, config),
    startContainer: (id: string) => runtime.startContainer(id),
    stopContainer: (id: string, timeoutSeconds: number) => runtime.stopContainer(id, timeoutSeconds),
    removeContainer: (id: string) => runtime.removeContainer(id),
    containerStatus: (id: string): Promise<ContainerStatus> => runtime.containerStatus(id),
    listContainers: (filter?: { sandboxId?: string }) => runtime.listContainers(filter),
    exec: (id: string, options: ExecOptions) => runtime.exec(id, options),
    readLogs: (id: string, options: LogOptions, write: (line: LogLine) => void) => runtime.readLogs(id, options, write),
    listImages: (): Promise<ImageInfo[]> => images.listImages(),
    imageStatus: (reference: string) => images.imageStatus(reference),
    removeImage: (reference: string) => images.removeImage(reference),
  };
}
