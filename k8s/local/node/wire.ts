/**
 * Kubernetes objects in their wire (JSON) form, as the API server sends them. spec and status
 * are loose on purpose: the node agent reads and writes a handful of fields of several kinds.
 */
export interface WireObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: any[];
    finalizers?: string[];
    [field: string]: any;
  };
  spec?: any;
  status?: any;
  [field: string]: any;
}

/** A container resolved into a local command. */
export interface ResolvedCommand {
  file: string;
  args: string[];
}
