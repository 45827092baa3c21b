// The field numbers of the Kubernetes protobuf messages that tinykube
// decodes, one line per message: `number name type` entries separated by
// ';'. The numbers are those of the generated.proto files of k8s.io/api
// (core/v1, apps/v1, coordination/v1, policy/v1, autoscaling/v1) and
// k8s.io/apimachinery (meta/v1, api/resource, util/intstr, runtime). Fields
// newer than Kubernetes 1.32 or of kinds tinykube does not serve are left
// out, and a body that sets one is rejected rather than silently changed.
//
// Types:
//   string, int, bool     scalars; a zero value means "unset" and is dropped
//   *string, *int, *bool  Go pointers and fields JSON always carries: zero is kept
//   bytes                 raw bytes (runtime.Unknown's raw)
//   map                   map<string, string>
//   quantities            map<string, Quantity>, decoded to quantity strings
//   Quantity, Time, MicroTime, IntOrString, FieldsV1   decoded to their JSON forms
//   Name                  another message of this table
// A `[]` suffix marks a repeated field. A `...` prefix on the name marks a
// Go embedded struct, whose fields JSON writes inline in the parent.

const meta = {
  Unknown: '1 typeMeta TypeMeta; 2 raw bytes; 3 contentEncoding string; 4 contentType string',
  TypeMeta: '1 apiVersion string; 2 kind string',
  ObjectMeta: '1 name string; 2 generateName string; 3 namespace string; 4 selfLink string; 5 uid string; ' +
    '6 resourceVersion string; 7 generation int; 8 creationTimestamp Time; 9 deletionTimestamp Time; ' +
    '10 deletionGracePeriodSeconds *int; 11 labels map; 12 annotations map; 13 ownerReferences OwnerReference[]; ' +
    '14 finalizers string[]; 17 managedFields ManagedFieldsEntry[]',
  OwnerReference: '5 apiVersion string; 1 kind string; 3 name string; 4 uid string; 6 controller *bool; 7 blockOwnerDeletion *bool',
  ManagedFieldsEntry: '1 manager string; 2 operation string; 3 apiVersion string; 4 time Time; 6 fieldsType string; ' +
    '7 fieldsV1 FieldsV1; 8 subresource string',
  LabelSelector: '1 matchLabels map; 2 matchExpressions LabelSelectorRequirement[]',
  LabelSelectorRequirement: '1 key string; 2 operator string; 3 values string[]',
  DeleteOptions: '1 gracePeriodSeconds *int; 2 preconditions Preconditions; 3 orphanDependents *bool; ' +
    '4 propagationPolicy *string; 5 dryRun string[]',
  Preconditions: '1 uid *string; 2 resourceVersion *string',
};

const pod = {
  Pod: '1 metadata ObjectMeta; 2 spec PodSpec; 3 status PodStatus',
  PodTemplateSpec: '1 metadata ObjectMeta; 2 spec PodSpec',
  PodSpec: '1 volumes Volume[]; 20 initContainers Container[]; 2 containers Container[]; 3 restartPolicy string; ' +
    '4 terminationGracePeriodSeconds *int; 5 activeDeadlineSeconds *int; 6 dnsPolicy string; 7 nodeSelector map; ' +
    '8 serviceAccountName string; 9 serviceAccount string; 21 automountServiceAccountToken *bool; 10 nodeName string; ' +
    '11 hostNetwork bool; 12 hostPID bool; 13 hostIPC bool; 27 shareProcessNamespace *bool; ' +
    '14 securityContext PodSecurityContext; 15 imagePullSecrets LocalObjectReference[]; 16 hostname string; ' +
    '17 subdomain string; 18 affinity Affinity; 19 schedulerName string; 22 tolerations Toleration[]; ' +
    '23 hostAliases HostAlias[]; 24 priorityClassName string; 25 priority *int; 26 dnsConfig PodDNSConfig; ' +
    '28 readinessGates PodReadinessGate[]; 29 runtimeClassName *string; 30 enableServiceLinks *bool; ' +
    '31 preemptionPolicy *string; 32 overhead quantities; 33 topologySpreadConstraints TopologySpreadConstraint[]; ' +
    '35 setHostnameAsFQDN *bool; 36 os PodOS; 37 hostUsers *bool; 38 schedulingGates PodSchedulingGate[]',
  Container: '1 name string; 2 image string; 3 command string[]; 4 args string[]; 5 workingDir string; ' +
    '6 ports ContainerPort[]; 19 envFrom EnvFromSource[]; 7 env EnvVar[]; 8 resources ResourceRequirements; ' +
    '23 resizePolicy ContainerResizePolicy[]; 24 restartPolicy *string; 9 volumeMounts VolumeMount[]; ' +
    '10 livenessProbe Probe; 11 readinessProbe Probe; 22 startupProbe Probe; 12 lifecycle Lifecycle; ' +
    '13 terminationMessagePath string; 20 terminationMessagePolicy string; 14 imagePullPolicy string; ' +
    '15 securityContext SecurityContext; 16 stdin bool; 17 stdinOnce bool; 18 tty bool',
  ContainerPort: '1 name string; 2 hostPort int; 3 containerPort *int; 4 protocol string; 5 hostIP string',
  ContainerResizePolicy: '1 resourceName string; 2 restartPolicy string',
  EnvVar: '1 name string; 2 value string; 3 valueFrom EnvVarSource',
  EnvVarSource: '1 fieldRef ObjectFieldSelector; 2 resourceFieldRef ResourceFieldSelector; ' +
    '3 configMapKeyRef ConfigMapKeySelector; 4 secretKeyRef SecretKeySelector',
  ObjectFieldSelector: '1 apiVersion string; 2 fieldPath string',
  ResourceFieldSelector: '1 containerName string; 2 resource string; 3 divisor Quantity',
  ConfigMapKeySelector: '1 ...localObjectReference LocalObjectReference; 2 key string; 3 optional *bool',
  SecretKeySelector: '1 ...localObjectReference LocalObjectReference; 2 key string; 3 optional *bool',
  EnvFromSource: '1 prefix string; 2 configMapRef ConfigMapEnvSource; 3 secretRef SecretEnvSource',
  ConfigMapEnvSource: '1 ...localObjectReference LocalObjectReference; 2 optional *bool',
  SecretEnvSource: '1 ...localObjectReference LocalObjectReference; 2 optional *bool',
  LocalObjectReference: '1 name string',
  ResourceRequirements: '1 limits quantities; 2 requests quantities; 3 claims ResourceClaim[]',
  ResourceClaim: '1 name string; 2 request string',
  Probe: '1 ...handler ProbeHandler; 2 initialDelaySeconds int; 3 timeoutSeconds int; 4 periodSeconds int; ' +
    '5 successThreshold int; 6 failureThreshold int; 7 terminationGracePeriodSeconds *int',
  ProbeHandler: '1 exec ExecAction; 2 httpGet HTTPGetAction; 3 tcpSocket TCPSocketAction; 4 grpc GRPCAction',
  ExecAction: '1 command string[]',
  HTTPGetAction: '1 path string; 2 port IntOrString; 3 host string; 4 scheme string; 5 httpHeaders HTTPHeader[]',
  HTTPHeader: '1 name string; 2 value *string',
  TCPSocketAction: '1 port IntOrString; 2 host string',
  GRPCAction: '1 port *int; 2 service *string',
  Lifecycle: '1 postStart LifecycleHandler; 2 preStop LifecycleHandler',
  LifecycleHandler: '1 exec ExecAction; 2 httpGet HTTPGetAction; 3 tcpSocket TCPSocketAction; 4 sleep SleepAction',
  SleepAction: '1 seconds *int',
  VolumeMount: '1 name string; 2 readOnly bool; 7 recursiveReadOnly *string; 3 mountPath string; 4 subPath string; ' +
    '5 mountPropagation *string; 6 subPathExpr string',
  Volume: '1 name string; 2 ...volumeSource VolumeSource',
  VolumeSource: '1 hostPath HostPathVolumeSource; 2 emptyDir EmptyDirVolumeSource; 6 secret SecretVolumeSource; ' +
    '19 configMap ConfigMapVolumeSource',
  HostPathVolumeSource: '1 path string; 2 type *string',
  EmptyDirVolumeSource: '1 medium string; 2 sizeLimit Quantity',
  SecretVolumeSource: '1 secretName string; 2 items KeyToPath[]; 3 defaultMode *int; 4 optional *bool',
  ConfigMapVolumeSource: '1 ...localObjectReference LocalObjectReference; 2 items KeyToPath[]; 3 defaultMode *int; 4 optional *bool',
  KeyToPath: '1 key string; 2 path string; 3 mode *int',
  SecurityContext: '1 capabilities Capabilities; 2 privileged *bool; 3 seLinuxOptions SELinuxOptions; 4 runAsUser *int; ' +
    '8 runAsGroup *int; 5 runAsNonRoot *bool; 6 readOnlyRootFilesystem *bool; 7 allowPrivilegeEscalation *bool; ' +
    '9 procMount *string; 11 seccompProfile SeccompProfile; 12 appArmorProfile AppArmorProfile',
  PodSecurityContext: '1 seLinuxOptions SELinuxOptions; 2 runAsUser *int; 6 runAsGroup *int; 3 runAsNonRoot *bool; ' +
    '4 supplementalGroups int[]; 12 supplementalGroupsPolicy *string; 5 fsGroup *int; 7 sysctls Sysctl[]; ' +
    '9 fsGroupChangePolicy *string; 10 seccompProfile SeccompProfile; 11 appArmorProfile AppArmorProfile',
  Capabilities: '1 add string[]; 2 drop string[]',
  SELinuxOptions: '1 user string; 2 role string; 3 type string; 4 level string',
  SeccompProfile: '1 type string; 2 localhostProfile *string',
  AppArmorProfile: '1 type string; 2 localhostProfile *string',
  Sysctl: '1 name string; 2 value string',
  Toleration: '1 key string; 2 operator string; 3 value string; 4 effect string; 5 tolerationSeconds *int',
  Affinity: '1 nodeAffinity NodeAffinity; 2 podAffinity PodAffinity; 3 podAntiAffinity PodAffinity',
  NodeAffinity: '1 requiredDuringSchedulingIgnoredDuringExecution NodeSelector; ' +
    '2 preferredDuringSchedulingIgnoredDuringExecution PreferredSchedulingTerm[]',
  NodeSelector: '1 nodeSelectorTerms NodeSelectorTerm[]',
  NodeSelectorTerm: '1 matchExpressions NodeSelectorRequirement[]; 2 matchFields NodeSelectorRequirement[]',
  NodeSelectorRequirement: '1 key string; 2 operator string; 3 values string[]',
  PreferredSchedulingTerm: '1 weight *int; 2 preference NodeSelectorTerm',
  // PodAntiAffinity has the same fields, with the same numbers, as PodAffinity.
  PodAffinity: '1 requiredDuringSchedulingIgnoredDuringExecution PodAffinityTerm[]; ' +
    '2 preferredDuringSchedulingIgnoredDuringExecution WeightedPodAffinityTerm[]',
  PodAffinityTerm: '1 labelSelector LabelSelector; 2 namespaces string[]; 3 topologyKey string; ' +
    '4 namespaceSelector LabelSelector; 5 matchLabelKeys string[]; 6 mismatchLabelKeys string[]',
  WeightedPodAffinityTerm: '1 weight *int; 2 podAffinityTerm PodAffinityTerm',
  HostAlias: '1 ip string; 2 hostnames string[]',
  PodDNSConfig: '1 nameservers string[]; 2 searches string[]; 3 options PodDNSConfigOption[]',
  PodDNSConfigOption: '1 name string; 2 value *string',
  PodReadinessGate: '1 conditionType string',
  TopologySpreadConstraint: '1 maxSkew *int; 2 topologyKey string; 3 whenUnsatisfiable string; 4 labelSelector LabelSelector; ' +
    '5 minDomains *int; 6 nodeAffinityPolicy *string; 7 nodeTaintsPolicy *string; 8 matchLabelKeys string[]',
  PodOS: '1 name string',
  PodSchedulingGate: '1 name string',
  PodStatus: '17 observedGeneration int; 1 phase string; 2 conditions PodCondition[]; 3 message string; 4 reason string; ' +
    '11 nominatedNodeName string; 5 hostIP string; 16 hostIPs HostIP[]; 6 podIP string; 12 podIPs PodIP[]; ' +
    '7 startTime Time; 10 initContainerStatuses ContainerStatus[]; 8 containerStatuses ContainerStatus[]; 9 qosClass string',
  PodCondition: '1 type string; 7 observedGeneration int; 2 status string; 3 lastProbeTime Time; ' +
    '4 lastTransitionTime Time; 5 reason string; 6 message string',
  HostIP: '1 ip string',
  PodIP: '1 ip string',
  ContainerStatus: '1 name string; 2 state ContainerState; 3 lastState ContainerState; 4 ready *bool; 5 restartCount *int; ' +
    '6 image string; 7 imageID string; 8 containerID string; 9 started *bool; 11 resources ResourceRequirements',
  ContainerState: '1 waiting ContainerStateWaiting; 2 running ContainerStateRunning; 3 terminated ContainerStateTerminated',
  ContainerStateWaiting: '1 reason string; 2 message string',
  ContainerStateRunning: '1 startedAt Time',
  ContainerStateTerminated: '1 exitCode *int; 2 signal int; 3 reason string; 4 message string; 5 startedAt Time; ' +
    '6 finishedAt Time; 7 containerID string',
};

const core = {
  Namespace: '1 metadata ObjectMeta; 2 spec NamespaceSpec; 3 status NamespaceStatus',
  NamespaceSpec: '1 finalizers string[]',
  NamespaceStatus: '1 phase string; 2 conditions NamespaceCondition[]',
  NamespaceCondition: '1 type string; 2 status string; 4 lastTransitionTime Time; 5 reason string; 6 message string',
  Node: '1 metadata ObjectMeta; 2 spec NodeSpec; 3 status NodeStatus',
  NodeSpec: '1 podCIDR string; 7 podCIDRs string[]; 3 providerID string; 4 unschedulable bool; 5 taints Taint[]; 2 externalID string',
  Taint: '1 key string; 2 value string; 3 effect string; 4 timeAdded Time',
  NodeStatus: '1 capacity quantities; 2 allocatable quantities; 3 phase string; 4 conditions NodeCondition[]; ' +
    '5 addresses NodeAddress[]; 6 daemonEndpoints NodeDaemonEndpoints; 7 nodeInfo NodeSystemInfo; ' +
    '8 images ContainerImage[]; 9 volumesInUse string[]',
  NodeCondition: '1 type string; 2 status string; 3 lastHeartbeatTime Time; 4 lastTransitionTime Time; 5 reason string; 6 message string',
  NodeAddress: '1 type string; 2 address string',
  NodeDaemonEndpoints: '1 kubeletEndpoint DaemonEndpoint',
  DaemonEndpoint: '1 Port *int',
  NodeSystemInfo: '1 machineID *string; 2 systemUUID *string; 3 bootID *string; 4 kernelVersion *string; 5 osImage *string; ' +
    '6 containerRuntimeVersion *string; 7 kubeletVersion *string; 8 kubeProxyVersion *string; 9 operatingSystem *string; ' +
    '10 architecture *string',
  ContainerImage: '1 names string[]; 2 sizeBytes int',
  Event: '1 metadata ObjectMeta; 2 involvedObject ObjectReference; 3 reason string; 4 message string; 5 source EventSource; ' +
    '6 firstTimestamp Time; 7 lastTimestamp Time; 8 count int; 9 type string; 10 eventTime MicroTime; 11 series EventSeries; ' +
    '12 action string; 13 related ObjectReference; 14 reportingComponent *string; 15 reportingInstance *string',
  EventSource: '1 component string; 2 host string',
  EventSeries: '1 count int; 2 lastObservedTime MicroTime',
  ObjectReference: '1 kind string; 2 namespace string; 3 name string; 4 uid string; 5 apiVersion string; ' +
    '6 resourceVersion string; 7 fieldPath string',
  Binding: '1 metadata ObjectMeta; 2 target ObjectReference',
  Eviction: '1 metadata ObjectMeta; 2 deleteOptions DeleteOptions',
  Scale: '1 metadata ObjectMeta; 2 spec ScaleSpec; 3 status ScaleStatus',
  ScaleSpec: '1 replicas int',
  ScaleStatus: '1 replicas *int; 2 selector string',
  Lease: '1 metadata ObjectMeta; 2 spec LeaseSpec',
  LeaseSpec: '1 holderIdentity *string; 2 leaseDurationSeconds *int; 3 acquireTime MicroTime; 4 renewTime MicroTime; ' +
    '5 leaseTransitions *int; 6 strategy *string; 7 preferredHolder *string',
};

const apps = {
  ReplicaSet: '1 metadata ObjectMeta; 2 spec ReplicaSetSpec; 3 status ReplicaSetStatus',
  ReplicaSetSpec: '1 replicas *int; 4 minReadySeconds int; 2 selector LabelSelector; 3 template PodTemplateSpec',
  ReplicaSetStatus: '1 replicas *int; 2 fullyLabeledReplicas int; 4 readyReplicas int; 5 availableReplicas int; ' +
    '3 observedGeneration int; 6 conditions ReplicaSetCondition[]',
  ReplicaSetCondition: '1 type string; 2 status string; 3 lastTransitionTime Time; 4 reason string; 5 message string',
  Deployment: '1 metadata ObjectMeta; 2 spec DeploymentSpec; 3 status DeploymentStatus',
  DeploymentSpec: '1 replicas *int; 2 selector LabelSelector; 3 template PodTemplateSpec; 4 strategy DeploymentStrategy; ' +
    '5 minReadySeconds int; 6 revisionHistoryLimit *int; 7 paused bool; 9 progressDeadlineSeconds *int',
  DeploymentStrategy: '1 type string; 2 rollingUpdate RollingUpdateDeployment',
  RollingUpdateDeployment: '1 maxUnavailable IntOrString; 2 maxSurge IntOrString',
  DeploymentStatus: '1 observedGeneration int; 2 replicas int; 3 updatedReplicas int; 7 readyReplicas int; ' +
    '4 availableReplicas int; 5 unavailableReplicas int; 6 conditions DeploymentCondition[]; 8 collisionCount *int',
  DeploymentCondition: '1 type string; 2 status string; 6 lastUpdateTime Time; 7 lastTransitionTime Time; 4 reason string; 5 message string',
};

/** The message definitions of this table, by message name. */
export const messageDefinitions: Readonly<Record<string, string>> = { ...meta, ...pod, ...core, ...apps };

/**
 * The top-level message of each kind a protobuf body may carry, by
 * apiVersion/kind. DeleteOptions comes with the apiVersion of whichever
 * group the request is for, so it is looked up by kind alone.
 */
export const topLevelMessages: Readonly<Record<string, string>> = {
  'v1/Pod': 'Pod', 'v1/Namespace': 'Namespace', 'v1/Node': 'Node', 'v1/Event': 'Event', 'v1/Binding': 'Binding',
  'apps/v1/ReplicaSet': 'ReplicaSet', 'apps/v1/Deployment': 'Deployment',
  'coordination.k8s.io/v1/Lease': 'Lease', 'policy/v1/Eviction': 'Eviction', 'autoscaling/v1/Scale': 'Scale',
  DeleteOptions: 'DeleteOptions',
};
