/**
 * Validation (422 Invalid) after defaulting, worded like the apiserver's field errors, for the
 * mistakes a Job builder can make. Not the whole of pkg/apis/batch/validation: the rules a
 * builder is likely to break.
 */
import type { FakeObject } from './types.ts';
import type { FieldError } from './status.ts';
import { invalid, StatusError } from './status.ts';
import { isQuantity, parseQuantity } from '../../k8s/local/node/quantity.ts';
import type { ResourceInfo } from './resources.ts';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const required = (field: string, why?: string): FieldError =>
  ({ field, type: 'FieldValueRequired', detail: why ? `Required value: ${why}` : 'Required value' });
const bad = (field: string, value: unknown, why: string): FieldError =>
  ({ field, type: 'FieldValueInvalid', detail: `Invalid value: ${JSON.stringify(value)}: ${why}` });
const unsupported = (field: string, value: unknown, supported: string[]): FieldError =>
  ({ field, type: 'FieldValueNotSupported', detail: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}` });

function validateName(r: ResourceInfo, obj: FakeObject, errs: FieldError[]): void {
  const name = obj.metadata?.name;
  if (!name) {
    errs.push(required('metadata.name', 'name or generateName is required'));
    return;
  }
  const asLabel = r.plural === 'namespaces' || r.plural === 'services';
  if (asLabel ? !LABEL.test(name) || name.length > 63 : !SUBDOMAIN.test(name) || name.length > 253) {
    const what = asLabel ? 'a lowercase RFC 1123 label' : 'a lowercase RFC 1123 subdomain';
    const rx = asLabel ? LABEL.source.slice(1, -1) : SUBDOMAIN.source.slice(1, -1);
    errs.push(bad('metadata.name', name, `${what} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (regex used for validation is '${rx}')`));
  }
  if (r.plural === 'jobs' && name.length > 63) errs.push(bad('metadata.name', name, 'must be no more than 63 characters'));
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Label keys ([prefix/]name) and values: at most 63 characters of [-A-Za-z0-9_.], alphanumeric at both ends. */
function validateLabels(labels: Record<string, string> | undefined, path: string, errs: FieldError[]): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : '';
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if (prefix && (!SUBDOMAIN.test(prefix) || prefix.length > 253)) errs.push(bad(path, k, 'prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\''));
    if (name.length > 63) errs.push(bad(path, k, 'name part must be no more than 63 characters'));
    else if (!LABEL_NAME.test(name)) errs.push(bad(path, k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    const value = String(v);
    if (value.length > 63) errs.push(bad(`${path}`, value, 'must be no more than 63 characters'));
    else if (!LABEL_VALUE.test(value)) errs.push(bad(path, value, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
  }
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIGMAP_MAX = 1024 * 1024;

function validateConfigMap(cm: FakeObject, errs: FieldError[]): void {
  let size = 0;
  for (const field of ['data', 'binaryData'] as const) {
    for (const [k, v] of Object.entries<string>(cm[field] ?? {})) {
      if (!CONFIG_KEY.test(k) || k.length > 253) errs.push(bad(`${field}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
      size += field === 'data' ? Buffer.byteLength(String(v)) : Buffer.from(String(v), 'base64').length;
    }
  }
  if (size > CONFIGMAP_MAX) errs.push({ field: '[]', type: 'FieldValueInvalid', detail: `Too long: may not be more than ${CONFIGMAP_MAX} bytes` });
}

function validateResources(c: any, path: string, errs: FieldError[]): void {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  for (const [k, v] of Object.entries({ ...req, ...lim })) {
    if (!isQuantity(v)) errs.push(bad(`${path}.resources`, v, `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (${k})`));
  }
  for (const k of ['cpu', 'memory']) {
    if (req[k] !== undefined && lim[k] !== undefined && isQuantity(req[k]) && isQuantity(lim[k]) && parseQuantity(req[k]) > parseQuantity(lim[k])) {
      errs.push(bad(`${path}.resources.requests`, String(req[k]), `must be less than or equal to ${k} limit of ${lim[k]}`));
    }
  }
}

export function validatePodSpec(spec: any, path: string, errs: FieldError[], restartPolicies = ['Always', 'OnFailure', 'Never']): void {
  const containers: any[] = spec?.containers ?? [];
  if (containers.length === 0) errs.push(required(`${path}.containers`));
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    const p = `${path}.containers[${i}]`;
    if (!c.name) errs.push(required(`${p}.name`));
    else if (!LABEL.test(c.name)) errs.push(bad(`${p}.name`, c.name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"));
    else if (seen.has(c.name)) errs.push({ field: `${p}.name`, type: 'FieldValueInvalid', detail: `Duplicate value: "${c.name}"` });
    seen.add(c.name);
    if (!c.image) errs.push(required(`${p}.image`));
    (c.env ?? []).forEach((e: any, j: number) => {
      if (!e.name) errs.push(required(`${p}.env[${j}].name`));
      else if (!ENV_NAME.test(e.name)) errs.push(bad(`${p}.env[${j}].name`, e.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"));
      if (e.valueFrom) {
        const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => e.valueFrom[k]);
        if (sources.length !== 1) errs.push(bad(`${p}.env[${j}].valueFrom`, '', 'may not have more than one field specified at a time'));
        if (e.value) errs.push(bad(`${p}.env[${j}].valueFrom`, '', 'may not be specified when `value` is not empty'));
      }
    });
    validateResources(c, p, errs);
  });
  if (!restartPolicies.includes(spec?.restartPolicy)) errs.push(unsupported(`${path}.restartPolicy`, spec?.restartPolicy, restartPolicies));
}

function nonNegative(spec: any, field: string, errs: FieldError[]): void {
  const v = spec[field];
  if (v != null && (!Number.isInteger(v) || v < 0)) errs.push(bad(`spec.${field}`, v, 'must be greater than or equal to 0'));
}

export function validateJob(job: FakeObject, errs: FieldError[]): void {
  const spec = job.spec ?? {};
  const tspec = spec.template?.spec ?? {};
  validateLabels(spec.template?.metadata?.labels, 'spec.template.metadata.labels', errs);
  validatePodSpec(tspec, 'spec.template.spec', errs, ['OnFailure', 'Never']);
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'ttlSecondsAfterFinished']) nonNegative(spec, f, errs);
  if (spec.activeDeadlineSeconds != null && !(spec.activeDeadlineSeconds > 0)) {
    errs.push(bad('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be greater than 0'));
  }
  if (!['NonIndexed', 'Indexed'].includes(spec.completionMode)) {
    errs.push(unsupported('spec.completionMode', spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  const indexed = spec.completionMode === 'Indexed';
  if (indexed && spec.completions == null) errs.push(required('spec.completions', 'when completion mode is Indexed'));
  if (spec.backoffLimitPerIndex != null && !indexed) errs.push(bad('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex, 'requires indexed completion mode'));
  if (spec.maxFailedIndexes != null) {
    if (spec.backoffLimitPerIndex == null) errs.push(required('spec.backoffLimitPerIndex', 'when maxFailedIndexes is specified'));
    else if (spec.completions != null && spec.maxFailedIndexes > spec.completions) errs.push(bad('spec.maxFailedIndexes', spec.maxFailedIndexes, 'must be less than or equal to completions'));
  }
  const pfp = spec.podFailurePolicy;
  if (pfp) {
    if (tspec.restartPolicy !== 'Never') {
      errs.push(bad('spec.template.spec.restartPolicy', tspec.restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
    }
    (pfp.rules ?? []).forEach((rule: any, i: number) => {
      const p = `spec.podFailurePolicy.rules[${i}]`;
      const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
      if (!actions.includes(rule.action)) errs.push(unsupported(`${p}.action`, rule.action, actions));
      if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex == null) {
        errs.push(bad(`${p}.action`, rule.action, 'valid only when backoffLimitPerIndex is set'));
      }
      if (rule.onExitCodes && rule.onPodConditions) errs.push(bad(p, '', 'specifying both OnExitCodes and OnPodConditions is not supported'));
      if (!rule.onExitCodes && !rule.onPodConditions) errs.push(bad(p, '', 'specifying one of OnExitCodes and OnPodConditions is required'));
      const ec = rule.onExitCodes;
      if (ec) {
        if (!['In', 'NotIn'].includes(ec.operator)) errs.push(unsupported(`${p}.onExitCodes.operator`, ec.operator, ['In', 'NotIn']));
        if (!Array.isArray(ec.values) || ec.values.length === 0) errs.push(required(`${p}.onExitCodes.values`));
        (ec.values ?? []).forEach((v: number, j: number) => {
          if (ec.operator === 'In' && v === 0) errs.push(bad(`${p}.onExitCodes.values[${j}]`, v, 'must not be 0 for the In operator'));
        });
      }
    });
  }
}

/** Throws 422 Invalid when the object breaks a rule. */
export function validate(r: ResourceInfo, obj: FakeObject): void {
  const errs: FieldError[] = [];
  validateName(r, obj, errs);
  validateLabels(obj.metadata?.labels, 'metadata.labels', errs);
  const annotations = JSON.stringify(obj.metadata?.annotations ?? {}).length;
  if (annotations > 256 * 1024) errs.push({ field: 'metadata.annotations', type: 'FieldValueInvalid', detail: 'Too long: may not be more than 262144 bytes' });
  if (r.plural === 'jobs') validateJob(obj, errs);
  if (r.plural === 'pods') validatePodSpec(obj.spec, 'spec', errs);
  if (r.plural === 'configmaps') validateConfigMap(obj, errs);
  if (r.plural === 'services' && obj.spec?.clusterIP !== 'None' && !(obj.spec?.ports?.length > 0)) errs.push(required('spec.ports'));
  if (r.plural === 'persistentvolumeclaims') {
    if (!(obj.spec?.accessModes?.length > 0)) errs.push(required('spec.accessModes', 'at least 1 access mode is required'));
    if (!obj.spec?.resources?.requests?.storage) errs.push(required('spec.resources[storage]'));
  }
  if (errs.length) throw invalid(r.kind, r.group, obj.metadata?.name ?? '', errs);
}

/** 422 for changes to a Job's immutable fields (template, completionMode, podFailurePolicy, selector). */
export function validateJobUpdate(prev: FakeObject, next: FakeObject): void {
  const errs: FieldError[] = [];
  for (const f of ['template', 'completionMode', 'podFailurePolicy', 'selector', 'backoffLimitPerIndex']) {
    if (JSON.stringify(prev.spec?.[f]) !== JSON.stringify(next.spec?.[f])) {
      errs.push({ field: `spec.${f}`, type: 'FieldValueInvalid', detail: `Invalid value: ${f === 'template' ? 'core.PodTemplateSpec{…}' : JSON.stringify(next.spec?.[f])}: field is immutable` });
    }
  }
  if (errs.length) throw invalid('Job', 'batch', next.metadata.name, errs);
}

export { StatusError };
