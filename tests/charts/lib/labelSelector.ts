// Kubernetes label selectors (metav1.LabelSelector) evaluated the way the Prometheus
// Operator evaluates a Prometheus' selectors. Their meaning for an empty and a missing
// selector is the CRD's own (kube-prometheus-stack charts/crds/crds/crd-prometheuses.yaml,
// the descriptions of serviceMonitorSelector, serviceMonitorNamespaceSelector, ruleSelector
// and ruleNamespaceSelector): an empty selector matches everything; a null object selector
// matches no objects; a null namespace selector matches the Prometheus' own namespace only.

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Does `selector` match `labels`? A missing (null) selector matches nothing. */
export function selects(selector: LabelSelector | null | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabels && (selector.matchExpressions ?? []).every((r) => requirementHolds(r, labels));
}

function requirementHolds(r: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(labels[r.key]!);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/**
 * Does a Prometheus in `ownNamespace` with this namespace selector look into `namespace`?
 * Namespaces are matched by the label Kubernetes sets on every one of them,
 * kubernetes.io/metadata.name, plus `labels` (what the installer adds).
 */
export function selectsNamespace(
  selector: LabelSelector | null | undefined,
  namespace: string,
  ownNamespace: string,
  labels: Record<string, string> = {},
): boolean {
  if (!selector) return namespace === ownNamespace;
  return selects(selector, { ...labels, 'kubernetes.io/metadata.name': namespace });
}
