// The seam between the runtime and the image store: the runtime asks for an
// image by reference and receives its config and its unpacked layers, which
// become the lowerdirs of each container's overlay rootfs.

/** The image config fields the runtime uses, named as in the OCI image config. */
export interface ImageConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, object>;
}

export interface ResolvedImage {
  /** `sha256:<hex>` digest of the image config. */
  id: string;
  /** The reference as requested, such as `tinykube/base` or `lab-sleep:1`. */
  reference: string;
  config: ImageConfig;
  /** Absolute paths of the unpacked layer directories, bottom layer first. */
  layerDirs: string[];
}

export interface ImageResolver {
  /** Returns the image stored under this reference, or undefined when there is none. */
  resolve(reference: string): Promise<ResolvedImage | undefined>;
}
